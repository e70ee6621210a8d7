using Microsoft.AspNetCore.Http;
using SqlSync.Mutations;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>How the server hosts coordinators. Set in <c>AddSqlSync(options => …)</c>.</summary>
public sealed class SqlSyncServerOptions
{
    /// <summary>
    /// Where each document's journals live: one sub-directory per document id. With journals on an object store
    /// (<c>UseAzureBlobJournals</c> in SqlSync.Storage.Azure) it holds only caches.
    /// </summary>
    public string DataDirectory { get; set; } = "sqlsync-data";

    /// <summary>
    /// The documents' journals, checkpoints and notes in a store other than files under <see cref="DataDirectory"/>
    /// (decision 0037); null: files. Set by a storage package's extension method (<c>UseAzureBlobJournals</c>).
    /// </summary>
    internal Journals.IJournalStoreProvider? JournalStores { get; set; }

    /// <summary>The reducer of a document's mutations; required. <see cref="UseReducer"/> sets one for all documents.</summary>
    public Func<string, IMutationReducer>? ReducerFor { get; set; }

    /// <summary>
    /// Decides what a connection may do with a document: called when the client opens it, with the
    /// connection's request (headers, user). Null (the default) lets every client read and write every document:
    /// the server then logs a warning at start and, outside the Development environment, refuses to start unless
    /// <see cref="AllowAnonymous"/> is set.
    /// </summary>
    public Func<HttpContext, string, DocumentAccess>? Authorize { get; set; }

    /// <summary>
    /// Serve without an <see cref="Authorize"/> hook outside the Development environment: every client may read and
    /// write every document (set it for a public demo, or when the endpoint is protected otherwise, e.g. with
    /// <c>.RequireAuthorization()</c>). Timelines stay protected by their secrets either way. Default false.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// The stable name of the connection's user or device; a timeline opened by one principal cannot be
    /// used by another. Defaults to the authenticated user's name, or null (anonymous).
    /// </summary>
    public Func<HttpContext, string?> GetPrincipal { get; set; } =
        static context => context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;

    /// <summary>
    /// Documents one principal may create (open while they do not exist) per hour; null: no limit. Default 1,000.
    /// Anonymous links count as one principal per remote address (IPv6: per /64). Over it the open is refused with
    /// <see cref="ProtocolErrorCode.QuotaExceeded"/>.
    /// </summary>
    public int? MaxDocumentsCreatedPerHour { get; set; } = 1_000;

    /// <summary>
    /// Timelines one principal may claim (owner records the server writes) per hour; null: no limit. Default 1,000.
    /// Over it the open is refused with <see cref="ProtocolErrorCode.QuotaExceeded"/>.
    /// </summary>
    public int? MaxTimelinesClaimedPerHour { get; set; } = 1_000;

    /// <summary>
    /// Timeline bytes one principal may upload per minute, over all its connections; null: no limit. Default 256 MiB.
    /// Over it the connection is closed with <see cref="ProtocolErrorCode.QuotaExceeded"/> (the client retries later).
    /// </summary>
    public long? MaxUploadBytesPerMinute { get; set; } = 256L << 20;

    /// <summary>
    /// Documents one principal may have open at once over all its connections (default 100; null: no limit). Anonymous
    /// links count per remote address (IPv6: per /64). Over it an open is refused for that document alone with
    /// <see cref="ProtocolErrorCode.TooManyDocuments"/> (the client opens it again later), so one principal cannot hold
    /// the server's <see cref="MaxOpenDocuments"/> and lock everyone else out: keep it well below that cap.
    /// </summary>
    public int? MaxOpenDocumentsPerPrincipal { get; set; } = 100;
    /// <summary>Presence limits: state size, expiry (issue 17).</summary>
    public PresenceOptions Presence { get; set; } = new();

    /// <summary>Frame and message limits.</summary>
    public ReplicationOptions Replication { get; set; } = new();

    /// <summary>Mutations applied per SQLite transaction and storage entry (default 256).</summary>
    public int StepBatchSize { get; set; } = 256;

    /// <summary>Received-but-unapplied mutations per document above which uploads wait (backpressure).</summary>
    public int MaxQueuedMutations { get; set; } = 10_000;

    /// <summary>
    /// How long a step may run before the server reports its document stuck (default 30 s): logged, counted
    /// in the <c>sqlsync.document.stuck</c> gauge and told to the document's clients. SQLite work is bounded
    /// by <see cref="Limits"/>; this catches a reducer stuck in its own code.
    /// </summary>
    public TimeSpan StuckStepThreshold { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a document stays open with no connected link having it open and no queued mutations (default
    /// 2 minutes); then it is closed (its files and memory let go) and reopened on the next open, which clients
    /// do not notice. <see cref="Timeout.InfiniteTimeSpan"/> keeps documents open until the server stops.
    /// </summary>
    public TimeSpan DocumentIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The most documents open at once (default 1,000; each holds a few files and some memory). Opening one more
    /// closes the least recently used document nobody uses; when every open document is in use the open is
    /// refused for that document alone (<c>TooManyDocuments</c>, the connection stays).
    /// </summary>
    public int MaxOpenDocuments { get; set; } = 1_000;

    /// <summary>
    /// After a burst of at least this many document closes (idle or to make room) has ended, the server gives memory back:
    /// one full compacting garbage collection, and on Linux with glibc a <c>malloc_trim</c> of the native heap SQLite
    /// used (default 64; at most once a minute; null: never). An idle server allocates nothing, so without it what closed
    /// documents left stays resident (docs/decisions/0016-memory-after-idle-close.md).
    /// </summary>
    public int? ReleaseMemoryAfterClosing { get; set; } = 64;

    /// <summary>The budgets of each mutation and step on every document.</summary>
    public SqlSync.Documents.MutationLimits Limits { get; set; } = SqlSync.Documents.MutationLimits.Default;

    /// <summary>Fsync every journal append (default).</summary>
    public bool FsyncOnAppend { get; set; } = true;

    /// <summary>The per-principal quotas as the engine takes them.</summary>
    internal QuotaLimits QuotaLimits => new(MaxDocumentsCreatedPerHour, MaxTimelinesClaimedPerHour, MaxUploadBytesPerMinute, MaxOpenDocumentsPerPrincipal);

    /// <summary>
    /// A document whose storage write fails (the disk full, an I/O error) pauses and reloads itself after this
    /// delay, doubled after each fault in a row up to <see cref="StorageRetryMaxDelay"/> (default 0.5 s).
    /// </summary>
    public TimeSpan StorageRetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between retries of a paused document (default 30 s).</summary>
    public TimeSpan StorageRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long storage entries up to a document's newest checkpoint are kept before they are dropped (default 10
    /// minutes; null keeps every entry): a client behind the kept entries joins from the checkpoint, as does a new client
    /// while any checkpoint exists (decisions 0017, 0018, 0042).
    /// </summary>
    public TimeSpan? StorageRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A checkpoint is written once the entries since the last add up to this many times the database (default 2).</summary>
    public double CheckpointJournalRatio { get; set; } = 2.0;

    /// <summary>The fewest journal bytes since the last checkpoint before another is written (default 1 MiB).</summary>
    public long CheckpointMinJournalBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The most bytes of checkpoint pages each open document keeps in memory (default 64 MiB): a document's memory is
    /// this cache plus the pages written since its newest checkpoint plus 16 bytes per page of the database, not the
    /// database (<see cref="Documents.CoordinatorDocumentOptions.PageCacheBytes"/>, decision 0026).
    /// </summary>
    public long PageCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Compressed bytes of recent page deltas kept per open document (default 1 MiB, decision 0025): storage entries
    /// go to clients as differences against the pages' previous versions while their deltas are kept, else as full
    /// pages. 0 sends full pages only.
    /// </summary>
    public long PageDeltaBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a new connection may take to complete its hello (default 10 s); a connection that has not is closed
    /// (WebSocket close status 1008, policy violation) and logged at Information.
    /// </summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The largest message accepted before hello (default 64 KiB, far more than a hello needs); the frame limit
    /// (<see cref="ReplicationOptions.MaxFrameBytes"/>) applies only after it. Checked while the message arrives.
    /// </summary>
    public int MaxHelloBytes { get; set; } = 64 << 10;

    /// <summary>
    /// The most memory all connections together may hold for messages still arriving (default 256 MiB). A message whose
    /// buffer would go over it is refused with <see cref="ProtocolErrorCode.ServerBusy"/> (the client backs off and
    /// retries); it is not waited for, so connections that each hold part of the budget never wait on each other.
    /// </summary>
    public long MaxReceiveBufferBytes { get; set; } = 256L << 20;

    /// <summary>
    /// The largest entry one connection may upload in parts (default 64 MiB; a mutation record that large is rare). The
    /// entry's buffer is charged to <see cref="MaxReceiveBufferBytes"/> while it is reassembled and given back when it is
    /// complete, or the connection ends, or its document fails on the connection; a buffer the budget cannot cover is
    /// refused with <see cref="ProtocolErrorCode.ServerBusy"/>. An entry announced larger than this (or than the budget, or
    /// <see cref="ReplicationOptions.MaxEntryBytes"/>) is refused at its first part with <see cref="ProtocolErrorCode.FrameTooLarge"/>.
    /// </summary>
    public int MaxEntryBytesPerConnection { get; set; } = 64 << 20;

    /// <summary>
    /// How long sending one frame may take (default 30 s); a client that does not read for that long is disconnected
    /// and logged at Information, so it cannot make the server hold what it does not take.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the server pings an idle WebSocket (default 30 s); see <see cref="KeepAliveTimeout"/>.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the server waits for the pong of a ping (default 60 s) before it drops the connection: a peer that is gone,
    /// or does not read, is dropped even when the server has nothing to send. Generous, because a client answers pings only
    /// between messages (a long rebase delays the pong). <see cref="Timeout.InfiniteTimeSpan"/> only pings.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Uses one reducer for every document.</summary>
    public SqlSyncServerOptions UseReducer(IMutationReducer reducer)
    {
        ArgumentNullException.ThrowIfNull(reducer);
        ReducerFor = _ => reducer;
        return this;
    }
}
