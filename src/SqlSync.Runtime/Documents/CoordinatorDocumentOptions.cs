using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>How to open a <see cref="CoordinatorDocument"/>.</summary>
public sealed class CoordinatorDocumentOptions
{
    /// <summary>
    /// The document's id: 1–128 letters, digits, '.', '_' or '-', not all dots, not ending with '.', not a Windows
    /// device name (CON, NUL, COM1, …): it names a directory on the coordinator, on any OS.
    /// </summary>
    public required string DocumentId { get; init; }

    /// <summary>The reducer of the document's mutations.</summary>
    public required IMutationReducer Reducer { get; init; }

    /// <summary>Where the storage journal and the received timelines live; null keeps everything in memory.</summary>
    public string? Directory { get; init; }

    /// <summary>Fsync every journal append (default).</summary>
    public bool FsyncOnAppend { get; init; } = true;

    /// <summary>
    /// How long a step waits for readers on other connections (<c>ReadOnlyConnectionString</c>) to end their read
    /// transactions before it starts (default 30 s); then <see cref="CoordinatorDocument.Step"/> throws
    /// <see cref="SqlSyncErrorCode.DocumentBusy"/> having changed nothing, and the server tries again later.
    /// </summary>
    public TimeSpan ReaderDrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many prepared statements the document keeps, least recently used out first (default 128; 0
    /// keeps none). Each costs SQLite a few KiB; texts of more than one statement are never kept.
    /// </summary>
    public int StatementCacheSize { get; init; } = Storage.StatementCache.DefaultCapacity;

    /// <summary>
    /// The most bytes of checkpoint pages the document keeps in memory (default 64 MiB; at least one page). A
    /// document with a <c>Directory</c> reads its committed pages from its newest checkpoint file on demand through a
    /// cache of this size, so its memory is this cache plus the pages written since that checkpoint (the tail, bounded
    /// by the checkpoint policy) plus pending writes, and 16 bytes per page of the database for the page index and
    /// hashes, not the database (decision 0026). A document without a directory keeps every page in memory.
    /// </summary>
    public long PageCacheBytes { get; init; } = Storage.PageCache.DefaultBytes;

    /// <summary>The step and size budgets of each mutation (and, on the coordinator, of each step).</summary>
    public MutationLimits Limits { get; init; } = MutationLimits.Default;

    /// <summary>
    /// Told (with a one-line message) what opening the document repaired, such as a torn tail cut off a journal:
    /// the file and the LSN. The server logs it as a warning.
    /// </summary>
    public Action<string>? Warning { get; init; }

    /// <summary>
    /// After a storage fault (the disk full, or an I/O error while writing) the document pauses and retries
    /// after this delay, doubled after each fault in a row up to <see cref="StorageRetryMaxDelay"/> (default 0.5 s).
    /// </summary>
    public TimeSpan StorageRetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between retries of a paused document (default 30 s).</summary>
    public TimeSpan StorageRetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Write a checkpoint (the full page image, docs/formats.md) once the storage entries appended since the
    /// last one add up to this many times the database's size (default 2), and at least
    /// <see cref="CheckpointMinJournalBytes"/>. Only documents with a <see cref="Directory"/> keep checkpoints.
    /// </summary>
    public double CheckpointJournalRatio { get; init; } = 2.0;

    /// <summary>The fewest journal bytes since the last checkpoint before another is written (default 1 MiB).</summary>
    public long CheckpointMinJournalBytes { get; init; } = 1024 * 1024;

    /// <summary>Write checkpoints at all (default true; only with a <see cref="Directory"/>).</summary>
    public bool Checkpoints { get; init; } = true;

    /// <summary>
    /// How long storage entries up to the newest checkpoint (and the previous checkpoint) are kept after it is
    /// written, so a replica in the middle of reading them finishes (compaction, decision 0017). Null (the
    /// default) keeps the whole storage journal, so every replica may take entries (a new file-backed one still joins
    /// from the newest checkpoint, decision 0042). Compaction is opt-in: a memory replica behind the kept entries
    /// cannot join (it gets <see cref="SqlSyncErrorCode.StorageCompacted"/>).
    /// </summary>
    public TimeSpan? StorageRetention { get; init; }

    /// <summary>Size of the storage journal's segment files (default 4 MiB): compaction deletes whole segments.</summary>
    public long StorageSegmentBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Rejections kept in <c>__sqlsync_rejections</c> per timeline, newest first (default 1,000): older ones are
    /// deleted in the step that records a new one, so the table does not grow with history. A client that was
    /// offline while more of its mutations were rejected is told of the newest ones only.
    /// </summary>
    public int RejectionsKeptPerTimeline { get; init; } = 1000;

    /// <summary>
    /// Compressed bytes of recent page deltas kept for the wire (default 1 MiB, decision 0025): a storage entry whose
    /// delta is kept goes to clients as the difference against the page's previous version, else as full pages. 0
    /// sends full pages only.
    /// </summary>
    public long PageDeltaBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Where the document's journals live (decision 0031); null for files under <see cref="Directory"/> (or memory
    /// without one). With a store, <see cref="Directory"/> holds only caches and checkpoints.
    /// </summary>
    internal Journals.IJournalStore? JournalStore { get; init; }

    /// <summary>Test hook: injected at the crash points of the migrations <see cref="CoordinatorDocument.Open"/> applies.</summary>
    internal Action<CoordinatorStepPoint>? FaultInjectionAtOpen { get; init; }
}
