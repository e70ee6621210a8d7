using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Storage;

/// <summary>
/// A database as a storage journal of page sets: the committed <see cref="PageView"/> built from the
/// journal, and a <see cref="PendingLayer"/> above it. Reads look in pending, then the view, then zero.
/// Not thread-safe: the VFS lock protocol and the owning document serialize access.
/// </summary>
internal sealed class PageStorage : IDisposable
{
    private IJournal _journal;
    private readonly PageView _view;
    private readonly PendingLayer _pending = new();

    private PageStorage(string name, IJournal journal, Lsn historyFirst, long? pageCacheBytes)
    {
        Name = name;
        _view = new PageView(pageCacheBytes);
        _journal = journal;
        HistoryFirst = historyFirst;
    }

    /// <summary>The first LSN of the storage history (the coordinator's first entry), which checkpoints cover from.</summary>
    public Lsn HistoryFirst { get; private set; }

    /// <summary>The checkpoint the view was loaded from, or null when the whole journal was replayed.</summary>
    public CheckpointHeader? LoadedCheckpoint { get; private set; }

    /// <summary>Bytes of storage entries appended (or replayed) after the newest checkpoint: the checkpoint policy's measure.</summary>
    public long BytesSinceCheckpoint { get; private set; }

    /// <summary>
    /// The checkpoint policy, one for coordinators and clients: the journal since the last checkpoint has reached
    /// <paramref name="ratio"/> times the database and at least <paramref name="minJournalBytes"/>.
    /// </summary>
    public bool IsCheckpointDue(long minJournalBytes, double ratio)
    {
        long databaseBytes = (long)CommittedSizeInPages * StorageFormat.PageSize;
        return BytesSinceCheckpoint >= Math.Max(minJournalBytes, (long)(ratio * databaseBytes));
    }

    /// <summary>The document name used in error messages.</summary>
    public string Name { get; }

    /// <summary>
    /// The storage journal's range; after a checkpoint installed over a fresh journal (which may start anywhere),
    /// empty at the LSN after the checkpoint.
    /// </summary>
    public LsnRange Range => IsFresh(_journal.Range) && LoadedCheckpoint is { } checkpoint ? LsnRange.EmptyAt(checkpoint.Lsn.Next) : _journal.Range;

    /// <summary>A journal that has never held an entry: it continues any checkpoint (its first append may be at any LSN).</summary>
    private static bool IsFresh(LsnRange range) => range.IsEmpty && range.Next.Value == 0;

    /// <summary>The journal behind this storage (read by sync).</summary>
    public IJournal Journal => _journal;

    /// <summary>Database size in pages, pending writes included.</summary>
    public uint SizeInPages => _pending.Size ?? _view.Size;

    /// <summary>The committed view's checksum (pending aside).</summary>
    public ulong Checksum => _view.Checksum;

    /// <summary>The committed view's size in pages (pending aside).</summary>
    public uint CommittedSizeInPages => _view.Size;

    /// <summary>True when writes are pending.</summary>
    public bool HasPending => !_pending.IsEmpty;

    /// <summary>Pages held by the pending layer.</summary>
    public int PendingPageCount => _pending.PageCount;

    /// <summary>
    /// Opens storage over <paramref name="journal"/>, replaying every entry into the view and checking each
    /// entry's checksum as it goes.
    /// </summary>
    public static PageStorage Open(string name, IJournal journal) => Open(name, journal, null, null);

    /// <summary>
    /// Opens storage from <paramref name="checkpoint"/> (when given) plus the journal entries after it: the
    /// cost of opening follows the database and the tail, not the history. The journal must hold every LSN
    /// after the checkpoint (it may hold earlier ones too); otherwise <see cref="SqlSyncErrorCode.CheckpointCorrupt"/>.
    /// With <paramref name="pageCacheBytes"/> the view reads the checkpoint's pages on demand through a page cache of
    /// that many bytes and keeps a share of the file; without, it reads them all into memory.
    /// </summary>
    public static PageStorage Open(string name, IJournal journal, CheckpointFile? checkpoint, long? pageCacheBytes)
    {
        LsnRange range = journal.Range;
        var storage = new PageStorage(name, journal, checkpoint?.Header.FirstLsn ?? range.First, pageCacheBytes);
        ulong from = range.First.Value;
        if (checkpoint is not null)
        {
            Lsn after = checkpoint.Header.Lsn.Next;
            if (!IsFresh(range) && (range.First > after || range.Next < after))
            {
                throw CheckpointHeader.Corrupt(checkpoint.Label,
                    $"it covers storage up to LSN {checkpoint.Header.Lsn}, but the storage journal holds {range}, which does not continue it");
            }

            storage._view.Load(checkpoint);
            storage.LoadedCheckpoint = checkpoint.Header;
            from = after.Value;
        }

        for (ulong lsn = Math.Max(from, range.First.Value); lsn < range.Next.Value; lsn++)
        {
            ReadOnlyMemory<byte> entry = journal.Read(new Lsn(lsn));
            storage.ApplyToView(new Lsn(lsn), entry);
            storage.BytesSinceCheckpoint += entry.Length;
        }

        return storage;
    }

    /// <summary>
    /// The committed view at the journal's end, frozen for a checkpoint; null before any entry. Starts the
    /// count of <see cref="BytesSinceCheckpoint"/> again.
    /// </summary>
    public PageSnapshot? Snapshot()
    {
        Lsn next = Range.Next;
        if (next.Value == 0 || next <= HistoryFirst)
        {
            return null;
        }

        BytesSinceCheckpoint = 0;
        return _view.Snapshot(HistoryFirst, new Lsn(next.Value - 1));
    }

    /// <summary>
    /// Rests the committed view on <paramref name="checkpoint"/>, just written from <paramref name="snapshot"/>: the
    /// pages it covers leave memory, the tail's stay (decision 0026). The caller keeps readers out.
    /// </summary>
    public void SwitchToCheckpoint(CheckpointFile checkpoint, PageSnapshot snapshot) => _view.SwitchTo(checkpoint, snapshot);

    /// <summary>The committed view's page cache (null: the whole view is in memory).</summary>
    public PageCache? PageCache => _view.Cache;

    /// <summary>Committed pages held in memory above the checkpoint file: the tail (O(size) to count).</summary>
    public int HeldPageCount => _view.HeldPageCount;

    /// <summary>The current bytes of a page (pending first).</summary>
    public ReadOnlySpan<byte> Page(uint pageNumber)
    {
        if (_pending.TryGet(pageNumber, out byte[] page))
        {
            return page;
        }

        return pageNumber <= SizeInPages ? _view.Page(pageNumber) : _view.Page(0);
    }

    /// <summary>
    /// Where <see cref="Commit"/> leaves each new entry's page delta against the view before it (the coordinator's, for
    /// the wire: decision 0025); null makes none.
    /// </summary>
    public PageDeltaLog? Deltas { get; set; }

    /// <summary>The committed bytes of a page (pending aside).</summary>
    public ReadOnlySpan<byte> CommittedPage(uint pageNumber) => _view.Page(pageNumber);

    /// <summary>Writes bytes into one page; they go to the pending layer.</summary>
    public void Write(uint pageNumber, int offsetInPage, ReadOnlySpan<byte> bytes) =>
        _pending.Write(pageNumber, offsetInPage, bytes, _view.Page(pageNumber), _view.Size);

    /// <summary>Truncates the database to <paramref name="sizeInPages"/> (pending until commit).</summary>
    public void Truncate(uint sizeInPages) => _pending.Truncate(sizeInPages);

    /// <summary>
    /// Turns the pending layer into one new journal entry and makes it the committed view (the coordinator's
    /// path). Returns the new entry's LSN, or null when nothing was pending.
    /// </summary>
    public Lsn? Commit()
    {
        if (_pending.IsEmpty)
        {
            return null;
        }

        uint size = SizeInPages;
        var pages = new PendingPageSet(_pending.SortedPages(size));

        // The checksum after this commit, computed without touching the view, so a failed append leaves
        // the view as it was.
        ulong checksum = _view.ChecksumAfter(size, pages);
        byte[] entry = StorageEntry.Encode(size, checksum, pages.Pages);

        // Made against the view before it changes; kept only once the entry is appended.
        byte[]? delta = Deltas is null ? null : PageDelta.Encode(entry, _view);
        Lsn lsn = _journal.Append(entry);
        if (delta is not null)
        {
            Deltas!.Add(lsn, delta);
        }

        BytesSinceCheckpoint += entry.Length;
        _view.Adopt(size, pages, checksum);
        _pending.Clear();
        return lsn;
    }

    /// <summary>
    /// Replaces everything with <paramref name="checkpoint"/> (a replica joining from the server's checkpoint): the
    /// old journal is disposed, <paramref name="freshJournal"/> opens an empty one that continues the checkpoint,
    /// and the view is loaded from the file. Pending writes are dropped; the caller rebases.
    /// </summary>
    public void InstallCheckpoint(CheckpointFile checkpoint, Func<IJournal> freshJournal)
    {
        _journal.Dispose();
        _journal = freshJournal();
        _view.Load(checkpoint);
        LoadedCheckpoint = checkpoint.Header;
        HistoryFirst = checkpoint.Header.FirstLsn;
        BytesSinceCheckpoint = 0;
        _pending.Clear();
        _receivedUnknown = true;
    }

    /// <summary>Pages received entries wrote since the last <see cref="TakeReceivedPages"/>, while live queries want them; null otherwise.</summary>
    private HashSet<uint>? _receivedPages;

    /// <summary>True when the view changed in a way <see cref="_receivedPages"/> does not describe (a checkpoint was installed).</summary>
    private bool _receivedUnknown;

    /// <summary>Starts (or stops) recording which pages received entries write (live queries map them to tables).</summary>
    public void RecordReceivedPages(bool on)
    {
        _receivedPages = on ? new HashSet<uint>() : null;
        _receivedUnknown = false;
    }

    /// <summary>The pages received entries wrote since the last call (null: unknown or not recorded), and forgets them.</summary>
    public HashSet<uint>? TakeReceivedPages()
    {
        if (_receivedPages is null)
        {
            return null;
        }

        HashSet<uint>? taken = _receivedUnknown ? null : _receivedPages;
        _receivedPages = new HashSet<uint>();
        _receivedUnknown = false;
        return taken;
    }

    /// <summary>Drops every pending write (the client's path before a rebase).</summary>
    public void Revert() => _pending.Clear();

    /// <summary>
    /// Takes an entry received from the coordinator at its LSN, full or as a page delta against the committed view
    /// (<see cref="PageDelta"/>; a delta that does not rebuild to the entry's checksum is
    /// <see cref="SqlSyncErrorCode.PageDeltaCorrupt"/>): checks that the view's checksum after it
    /// would equal the coordinator's (a mismatch is a <see cref="SqlSyncErrorCode.Divergence"/>, and then
    /// nothing is appended or changed), appends it, and applies it to the view.
    /// </summary>
    public void ApplyReceived(Lsn lsn, ReadOnlyMemory<byte> data) => ApplyReceivedCore(lsn, data, durableNow: true);

    /// <summary>
    /// <see cref="ApplyReceived"/>, except that a file journal writes the entry without its fsync: the caller makes the
    /// batch durable with <see cref="FlushReceived"/> before it acknowledges any of it (decision 0030).
    /// </summary>
    public void ApplyReceivedBeforeFlush(Lsn lsn, ReadOnlyMemory<byte> data) => ApplyReceivedCore(lsn, data, durableNow: false);

    private void ApplyReceivedCore(Lsn lsn, ReadOnlyMemory<byte> data, bool durableNow)
    {
        bool delta = PageDelta.IsDelta(data.Span);
        if (delta)
        {
            data = PageDelta.Resolve(data.Span, _view, Name, lsn);
        }

        StorageEntry entry = StorageEntry.Decode(data);
        RefuseUnwrittenGrowth(lsn, entry);
        ulong checksum = _view.ChecksumAfter(entry.DatabaseSizeInPages, entry);
        if (delta && checksum != entry.ChecksumAfter)
        {
            throw PageDelta.WrongResult(Name, lsn, checksum, entry.ChecksumAfter);
        }

        checksum = VerifiedChecksumAfter(lsn, entry, checksum);
        if (_journal is MemoryJournal memory)
        {
            memory.AppendAtShared(lsn, data); // received entries are never written to again: no copy
        }
        else if (!durableNow && _journal is FileJournal file)
        {
            file.AppendAt(lsn, data, fsync: false);
            _unflushedReceived = true;
        }
        else
        {
            _journal.AppendAt(lsn, data.Span);
        }

        BytesSinceCheckpoint += data.Length;
        _view.Apply(entry.DatabaseSizeInPages, entry, checksum);
        if (_receivedPages is not null)
        {
            for (int i = 0; i < entry.PageCount; i++)
            {
                _receivedPages.Add(entry.PageNumberAt(i));
            }
        }
    }

    /// <summary>True when received entries were written without their fsync (<see cref="ApplyReceivedBeforeFlush"/>).</summary>
    private bool _unflushedReceived;

    /// <summary>Makes the entries received without their fsync durable: one fsync for the batch (when the journal fsyncs at all).</summary>
    public void FlushReceived(bool fsync)
    {
        if (_unflushedReceived && fsync)
        {
            _journal.Flush();
            (_journal as FileJournal)?.ReleaseFlushedPages(); // held in the page view; the file is read back at reopen (decision 0043)
        }

        _unflushedReceived = false;
    }

    /// <summary>
    /// Refuses a received entry that grows the database by far more pages than it carries: hashing the new zero pages
    /// and holding the larger view cost O(growth), so a hostile server's few bytes claiming four billion pages would
    /// hang the replica under its lock and then exhaust its memory. SQLite writes every page it adds except the
    /// lock-byte page and pages freed again in the same transaction (never written; a freelist trunk page, written,
    /// lists up to 1,022 of them), so an honest entry grows by at most 1,023 pages per page it carries, plus one.
    /// </summary>
    private void RefuseUnwrittenGrowth(Lsn lsn, StorageEntry entry)
    {
        uint size = entry.DatabaseSizeInPages;
        if (size <= _view.Size || size - _view.Size <= (MaxGrowthPerCarriedPage * (ulong)entry.PageCount) + 1)
        {
            return;
        }

        throw new SqlSyncException(SqlSyncErrorCode.StorageEntryCorrupt,
            $"Document '{Name}': the storage entry at LSN {lsn} grows the database from {_view.Size} to {size} pages but carries only {entry.PageCount}; nothing was applied.");
    }

    /// <summary>A page carried plus the most freed pages a freelist trunk page can list (4096 / 4 − 2).</summary>
    private const ulong MaxGrowthPerCarriedPage = 1023;

    /// <summary>Recomputes the view's checksum from every page and compares it with the running one.</summary>
    public void VerifyFullChecksum()
    {
        ulong computed = _view.ComputeChecksum();
        if (computed != _view.Checksum)
        {
            LsnRange range = _journal.Range;
            string at = range.IsEmpty ? "before any entry" : $"LSN {range.Last}";
            throw new SqlSyncException(SqlSyncErrorCode.Divergence,
                $"Document '{Name}' diverged: its pages hash to 0x{computed:X16} but its storage checksum at {at} is 0x{_view.Checksum:X16}.");
        }
    }

    /// <summary>Test hook: flips a bit of a committed page behind the engine's back.</summary>
    internal void CorruptCommittedPageForTesting(uint pageNumber, int offset) => _view.CorruptForTesting(pageNumber, offset);

    /// <inheritdoc />
    public void Dispose()
    {
        _journal.Dispose();
        _view.Dispose();
    }

    private void ApplyToView(Lsn lsn, ReadOnlyMemory<byte> data)
    {
        StorageEntry entry = StorageEntry.Decode(data);
        _view.Apply(entry.DatabaseSizeInPages, entry, VerifiedChecksumAfter(lsn, entry));
    }

    private ulong VerifiedChecksumAfter(Lsn lsn, StorageEntry entry) =>
        VerifiedChecksumAfter(lsn, entry, _view.ChecksumAfter(entry.DatabaseSizeInPages, entry));

    private ulong VerifiedChecksumAfter(Lsn lsn, StorageEntry entry, ulong checksum)
    {
        if (checksum != entry.ChecksumAfter)
        {
            throw new SqlSyncException(SqlSyncErrorCode.Divergence,
                $"Document '{Name}' diverged at storage LSN {lsn}: the replica's checksum would be 0x{checksum:X16}, the coordinator's is 0x{entry.ChecksumAfter:X16}.");
        }

        return checksum;
    }
}
