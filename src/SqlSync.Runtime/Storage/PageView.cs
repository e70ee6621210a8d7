using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Storage;

/// <summary>
/// The committed page view: for each page number, its newest version in the storage journal, held in
/// memory so a read is one array index. Keeps the database checksum current in O(pages written).
/// A page array, once in the view, is never written again (a new version replaces it), so
/// <see cref="Snapshot"/> only copies references and a checkpoint can be written from it on another thread.
/// </summary>
internal sealed class PageView
{
    private static readonly byte[] s_zeroPage = new byte[StorageFormat.PageSize];
    private byte[]?[] _pages = new byte[]?[64];

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

        return _pages[pageNumber - 1] ?? s_zeroPage;
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

        for (uint page = Size + 1; page <= size; page++)
        {
            checksum ^= DatabaseChecksum.HashPage(page, s_zeroPage);
        }

        for (int i = 0; i < pages.PageCount; i++)
        {
            uint page = pages.PageNumberAt(i);
            checksum ^= DatabaseChecksum.HashPage(page, Page(page)); // beyond the old size: zeros, as added above
            checksum ^= DatabaseChecksum.HashPage(page, pages.PageAt(i));
        }

        return checksum;
    }

    /// <summary>Resizes and copies <paramref name="pages"/> in; <paramref name="checksum"/> is what <see cref="ChecksumAfter"/> predicted.</summary>
    public void Apply(uint size, IPageSet pages, ulong checksum)
    {
        Resize(size);
        for (int i = 0; i < pages.PageCount; i++)
        {
            uint page = pages.PageNumberAt(i);
            _pages[page - 1] = pages.PageAt(i).ToArray(); // a new array: snapshots may share the old one
        }

        Checksum = checksum;
    }

    /// <summary>Like <see cref="Apply"/>, taking ownership of the pending layer's arrays instead of copying.</summary>
    public void Adopt(uint size, PendingPageSet pages, ulong checksum)
    {
        Resize(size);
        foreach (KeyValuePair<uint, byte[]> page in pages.Pages)
        {
            _pages[page.Key - 1] = page.Value;
        }

        Checksum = checksum;
    }

    /// <summary>Replaces the whole view with the pages of <paramref name="checkpoint"/>, each checked against its hash.</summary>
    public void Load(CheckpointFile checkpoint)
    {
        uint size = checkpoint.Header.DatabaseSizeInPages;
        var pages = new byte[]?[Math.Max(64, size)];
        for (uint page = 1; page <= size; page++)
        {
            byte[] bytes = new byte[StorageFormat.PageSize];
            checkpoint.ReadPage(page, bytes);
            pages[page - 1] = bytes;
        }

        _pages = pages;
        Size = size;
        Checksum = checkpoint.Header.Checksum;
    }

    /// <summary>The view as it is now, frozen (O(size) references copied, no page bytes).</summary>
    public PageSnapshot Snapshot(Lsn firstLsn, Lsn lsn) =>
        new(firstLsn, lsn, Size, Checksum, _pages.AsSpan(0, (int)Size).ToArray());

    private void Resize(uint size)
    {
        if (size > _pages.Length)
        {
            Array.Resize(ref _pages, (int)Math.Max(size, (uint)_pages.Length * 2));
        }

        for (uint page = size + 1; page <= Size; page++)
        {
            _pages[page - 1] = null;
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
        byte[] page = _pages[pageNumber - 1] ?? throw new InvalidOperationException($"Page {pageNumber} is not present.");
        page[offset] ^= 0x01;
    }

}
