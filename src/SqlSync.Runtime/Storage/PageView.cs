using System.Runtime.InteropServices;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Storage;

/// <summary>
/// The committed page view: for each page number, its newest version. Without a page cache (documents without
/// files) every page lives in memory, so a read is one array index. With one (decision 0026), the view rests on
/// its newest checkpoint file: pages written after it (the tail) live in memory, every other page is read from the
/// file on demand, checked against its hash, through a bounded <see cref="PageCache"/>. Keeps the database checksum
/// current in O(pages written). A page's memory, once in the view, is never written again (a new version replaces it),
/// so <see cref="Snapshot"/> only copies references and a checkpoint can be written from it on another thread. A page
/// taken from a storage entry is a slice of the entry's own buffer, not a copy (decision 0039): received and replayed
/// entries are never written to again, and the entry's buffer lives as long as one of its pages is the newest.
/// </summary>
internal sealed class PageView(long? cacheBytes) : IDisposable
{
    private static readonly byte[] s_zeroPage = new byte[StorageFormat.PageSize];
    private readonly PageCache? _cache = cacheBytes is { } bytes ? new PageCache(bytes) : null;
    private ReadOnlyMemory<byte>[] _pages = new ReadOnlyMemory<byte>[64]; // empty: not held (zeros, or the checkpoint file's)

    // The checkpoint file under the view: pages 1.._baseLimit that _pages does not hold are its pages. A
    // truncation lowers the limit (a page cut off and grown again is zeros, not the file's).
    private CheckpointFile? _base;
    private uint _baseLimit;

    // Replaced at every load: a snapshot taken before a load must not move the loaded view.
    private object _loadIdentity = new();

    // The smallest size since the last snapshot: which pages of the next checkpoint the view may take from it.
    private uint _lowWater;

    /// <summary>The page cache, when the view rests on a checkpoint file's pages.</summary>
    public PageCache? Cache => _cache;

    /// <summary>Pages held in memory above the checkpoint file (all of them without a cache): the tail's cost. O(size).</summary>
    public int HeldPageCount
    {
        get
        {
            int held = 0;
            for (int i = 0; i < Size; i++)
            {
                held += _pages[i].IsEmpty ? 0 : 1;
            }

            return held;
        }
    }

    /// <summary>Database size in pages.</summary>
    public uint Size { get; private set; }

    /// <summary>The database checksum of pages 1..Size.</summary>
    public ulong Checksum { get; private set; }

    /// <summary>The bytes of a page; a page never written reads as zeros.</summary>
    public ReadOnlySpan<byte> Page(uint pageNumber)
    {
        if (pageNumber == 0 || pageNumber > Size)
        {
            return s_zeroPage;
        }

        ReadOnlyMemory<byte> held = _pages[pageNumber - 1];
        return !held.IsEmpty ? held.Span : pageNumber <= _baseLimit ? BasePage(pageNumber) : s_zeroPage;
    }

    /// <summary>
    /// Pages read from the checkpoint file at once on a miss (decision 0030): a scan after a join from a checkpoint
    /// reads the file in 64 KiB runs instead of a system call per page.
    /// </summary>
    internal const int ReadAheadPages = 16;

    private byte[] BasePage(uint pageNumber)
    {
        if (_cache!.TryGet(pageNumber, out byte[] cached))
        {
            return cached;
        }

        CheckpointFile file = _base!;
        int wanted = (int)Math.Min(ReadAheadPages, _baseLimit - pageNumber + 1);
        byte[][] arrays = new byte[wanted][];
        var run = new Memory<byte>[wanted];
        for (int i = 0; i < wanted; i++)
        {
            arrays[i] = new byte[StorageFormat.PageSize]; // each page its own array: the cache keeps it, nothing is copied
            run[i] = arrays[i];
        }

        int read = file.ReadRun(pageNumber, run);
        byte[] bytes = arrays[0];
        if (read == 0 || !file.IsSound(pageNumber, bytes))
        {
            file.ReadPage(pageNumber, bytes); // checked against its hash: a corrupt page is CheckpointCorrupt, never wrong bytes
        }

        _cache.Add(pageNumber, bytes);
        for (int i = 1; i < read; i++)
        {
            // Neighbours go in only when sound and not newer in memory; a damaged one is found when it is read itself.
            uint page = pageNumber + (uint)i;
            if (page <= Size && _pages[page - 1].IsEmpty && !_cache.Contains(page) && file.IsSound(page, arrays[i]))
            {
                _cache.Add(page, arrays[i]);
            }
        }

        return bytes;
    }

    /// <summary>
    /// The checksum the view would have after resizing to <paramref name="size"/> and replacing
    /// <paramref name="pages"/>, without changing it. O(pages written + pages added or cut). The old
    /// pages' hashes are computed from their bytes, not remembered, so a page changed behind the engine's
    /// back makes the prediction disagree with the coordinator's checksum when an entry rewrites it.
    /// </summary>
    public ulong ChecksumAfter(uint size, IPageSet pages)
    {
        ulong checksum = Checksum;
        for (uint page = size + 1; page <= Size; page++)
        {
            checksum ^= DatabaseChecksum.HashPage(page, Page(page));
        }

        // A page added by growth holds zeros; one the set writes would add its zeros' hash and take it away again, so
        // neither is hashed (a join that grows the database page by page hashes each page once, not three times).
        int next = 0;
        for (uint page = Size + 1; page <= size; page++)
        {
            while (next < pages.PageCount && pages.PageNumberAt(next) < page)
            {
                next++;
            }

            if (next < pages.PageCount && pages.PageNumberAt(next) == page)
            {
                continue;
            }

            checksum ^= DatabaseChecksum.HashPage(page, s_zeroPage);
        }

        for (int i = 0; i < pages.PageCount; i++)
        {
            uint page = pages.PageNumberAt(i);
            if (page <= Size)
            {
                checksum ^= DatabaseChecksum.HashPage(page, Page(page));
            }

            checksum ^= DatabaseChecksum.HashPage(page, pages.PageAt(i));
        }

        return checksum;
    }

    /// <summary>
    /// Resizes and takes the pages of <paramref name="entry"/> in as slices of its buffer, which is never written again (no
    /// copy: decision 0039); <paramref name="checksum"/> is what <see cref="ChecksumAfter"/> predicted.
    /// </summary>
    public void Apply(uint size, StorageEntry entry, ulong checksum)
    {
        Resize(size);
        for (int i = 0; i < entry.PageCount; i++)
        {
            _pages[entry.PageNumberAt(i) - 1] = entry.PageMemoryAt(i); // replaces the reference: snapshots may share the old one
        }

        Checksum = checksum;
    }

    /// <summary>Resizes and copies <paramref name="pages"/> in, each page into an array of its own.</summary>
    public void Apply(uint size, IPageSet pages, ulong checksum)
    {
        Resize(size);
        for (int i = 0; i < pages.PageCount; i++)
        {
            _pages[pages.PageNumberAt(i) - 1] = pages.PageAt(i).ToArray(); // a new array: snapshots may share the old one
        }

        Checksum = checksum;
    }

    /// <summary>Like <see cref="Apply(uint, IPageSet, ulong)"/>, taking ownership of the pending layer's arrays instead of copying.</summary>
    public void Adopt(uint size, PendingPageSet pages, ulong checksum)
    {
        Resize(size);
        foreach (KeyValuePair<uint, byte[]> page in pages.Pages)
        {
            _pages[page.Key - 1] = page.Value;
        }

        Checksum = checksum;
    }

    /// <summary>
    /// Replaces the whole view with the pages of <paramref name="checkpoint"/>: with a page cache the view takes a
    /// share of the file and reads pages on demand; without one every page is read (and checked) now.
    /// </summary>
    public void Load(CheckpointFile checkpoint)
    {
        uint size = checkpoint.Header.DatabaseSizeInPages;
        var pages = new ReadOnlyMemory<byte>[Math.Max(64, size)];
        if (_cache is null)
        {
            for (uint page = 1; page <= size; page++)
            {
                byte[] bytes = new byte[StorageFormat.PageSize];
                checkpoint.ReadPage(page, bytes);
                pages[page - 1] = bytes;
            }
        }
        else
        {
            CheckpointFile shared = checkpoint.Share();
            _base?.Dispose();
            _base = shared;
            _baseLimit = size;
            _cache.Clear();
        }

        _pages = pages;
        Size = size;
        _lowWater = size;
        _loadIdentity = new object();
        Checksum = checkpoint.Header.Checksum;
    }

    /// <summary>The view as it is now, frozen (O(size) references copied, no page bytes; a share of the checkpoint file).</summary>
    public PageSnapshot Snapshot(Lsn firstLsn, Lsn lsn)
    {
        _lowWater = Size;
        return new(firstLsn, lsn, Size, Checksum, _pages.AsSpan(0, (int)Size).ToArray(), _base?.Share(), _baseLimit, _loadIdentity);
    }

    /// <summary>
    /// Rests the view on <paramref name="checkpoint"/>, just written from <paramref name="snapshot"/>: the pages the
    /// view still holds as they were in the snapshot are in the file now and leave memory (into the cache); pages
    /// written since stay. Reads give the same bytes before and after. O(size) reference comparisons, no I/O; the
    /// caller keeps readers out (the same hold as a step).
    /// </summary>
    public void SwitchTo(CheckpointFile checkpoint, PageSnapshot snapshot)
    {
        if (_cache is null || !ReferenceEquals(snapshot.Origin, _loadIdentity) || checkpoint.Header.Lsn != snapshot.Lsn || checkpoint.Header.DatabaseSizeInPages != snapshot.SizeInPages)
        {
            return;
        }

        // Pages up to the limit read the same in the view and the file, unless the view holds a newer version:
        // a page cut off since the snapshot would have lowered the low water mark below it.
        uint limit = Math.Min(Math.Min(snapshot.SizeInPages, _lowWater), Size);
        _cache.RemoveAbove(limit);
        for (uint page = 1; page <= limit; page++)
        {
            ReadOnlyMemory<byte> held = _pages[page - 1];
            if (held.IsEmpty)
            {
                continue; // read the old file's page, which the new file repeats: its cache entry stays right
            }

            if (held.Equals(snapshot.NewerThanBase(page)))
            {
                _pages[page - 1] = default;
                if (MemoryMarshal.TryGetArray(held, out ArraySegment<byte> own) && own.Offset == 0 && own.Count == own.Array!.Length)
                {
                    _cache.Add(page, own.Array); // a page of its own (a local commit's)
                }
                else
                {
                    // A slice of a received entry would keep the whole entry's buffer alive in a cache that counts 4 KiB:
                    // it leaves memory and is read from the new file when asked for.
                    _cache.Remove(page);
                }
            }
            else
            {
                _cache.Remove(page); // the new file's page is not the old file's: a stale entry must never be read
            }
        }

        CheckpointFile shared = checkpoint.Share();
        _base?.Dispose();
        _base = shared;
        _baseLimit = limit;
    }

    private void Resize(uint size)
    {
        if (size > _pages.Length)
        {
            Array.Resize(ref _pages, (int)Math.Max(size, (uint)_pages.Length * 2));
        }

        for (uint page = size + 1; page <= Size; page++)
        {
            _pages[page - 1] = default;
        }

        _lowWater = Math.Min(_lowWater, size);
        if (size < _baseLimit)
        {
            _baseLimit = size;
            _cache?.RemoveAbove(size);
        }

        Size = size;
    }

    /// <summary>Recomputes the checksum from every page, ignoring the running value.</summary>
    public ulong ComputeChecksum()
    {
        ulong checksum = 0;
        for (uint page = 1; page <= Size; page++)
        {
            checksum ^= DatabaseChecksum.HashPage(page, Page(page));
        }

        return checksum;
    }

    /// <summary>Flips one bit of a page without updating the checksum: a test hook for divergence detection.</summary>
    internal void CorruptForTesting(uint pageNumber, int offset)
    {
        byte[] page = Page(pageNumber).ToArray(); // a copy: the page may be a slice of an entry a journal shares
        page[offset] ^= 0x01;
        _pages[pageNumber - 1] = page;
    }

    /// <summary>Lets go of the checkpoint file.</summary>
    public void Dispose()
    {
        _base?.Dispose();
        _base = null;
        _baseLimit = 0;
    }

}
