using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>How to open a <see cref="LocalDocument"/>.</summary>
public sealed class LocalDocumentOptions
{
    /// <summary>
    /// The document's id: 1–128 letters, digits, '.', '_' or '-', not all dots, not ending with '.', not a Windows
    /// device name (CON, NUL, COM1, …): it names a directory on the coordinator, on any OS.
    /// </summary>
    public required string DocumentId { get; init; }

    /// <summary>The reducer of the document's mutations (the generated <c>YourMutations.Reducer.Instance</c>).</summary>
    public required IMutationReducer Reducer { get; init; }

    /// <summary>Where the timeline and storage journals live; null keeps everything in memory.</summary>
    public string? Directory { get; init; }

    /// <summary>Fsync every journal append (default). Off trades the last mutations before a power loss for speed.</summary>
    public bool FsyncOnAppend { get; init; } = true;

    /// <summary>
    /// When a mutation's reducer throws locally, still append it to the timeline so the coordinator decides
    /// (its state may differ). Off by default: the mutation is rolled back, not recorded, and reported.
    /// </summary>
    public bool KeepMutationsThatFailLocally { get; init; }

    /// <summary>Recompute the checksum over every page at each rebase, not just over the pages that change.</summary>
    public bool VerifyFullChecksumOnRebase { get; init; }

    /// <summary>The clock that stamps new mutations (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// How long a mutation or a rebase waits for readers on other connections (<c>ReadOnlyConnectionString</c>)
    /// to end their read transactions (default 30 s); then it throws <see cref="SqlSyncErrorCode.DocumentBusy"/>
    /// having changed nothing (docs/architecture.md, "Who may write the file").
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
    /// With a <see cref="Directory"/>, write a checkpoint of the coordinator's state this replica holds once the
    /// storage entries received since the last one add up to this many times the database size (default 2) and
    /// at least <see cref="CheckpointMinJournalBytes"/>; the entries before it are dropped at once, so opening
    /// reads the checkpoint and the tail.
    /// </summary>
    public double CheckpointJournalRatio { get; init; } = 2.0;

    /// <summary>The fewest storage bytes received since the last checkpoint before another is written (default 1 MiB).</summary>
    public long CheckpointMinJournalBytes { get; init; } = 1024 * 1024;

    /// <summary>Write checkpoints at all (default true; only with a <see cref="Directory"/>).</summary>
    public bool Checkpoints { get; init; } = true;
}
