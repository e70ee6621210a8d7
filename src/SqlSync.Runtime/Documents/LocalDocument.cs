using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>
/// A client's replica of a document. <see cref="Mutate(IMutation)"/> appends to the timeline journal and
/// applies at once (works offline); <see cref="ReceiveStorage"/> takes the coordinator's storage entries
/// and rebases: local changes are dropped, the coordinator's pages become visible, and the mutations the
/// coordinator has not applied yet are applied again on top. Thread-safe: calls are serialized.
/// Events (<see cref="Changed"/>, <see cref="MutationRejected"/>) are raised after the document's lock is
/// released, one at a time, in the order of the changes, on the thread that made the change, or on the
/// thread already delivering this document's events at that moment (a change made by a handler is
/// delivered after that handler returns). Handlers may call back into the document and into a
/// <see cref="Transport.SqlSyncClient"/>.
/// </summary>
public sealed partial class LocalDocument : IMutationTarget, IDisposable
{
    /// <summary>How many bytes of entries one sync message carries by default.</summary>
    public const long DefaultMaxSyncBytes = 1 << 20;

    private readonly object _sync;
    private readonly LocalDocumentOptions _options;
    private readonly DocumentDatabase _database;
    private readonly IJournal _timeline;
    private readonly MutationWriter _writer = new();
    private readonly List<System.Threading.Channels.ChannelWriter<DocumentChangedEventArgs>> _watchers = new();
    private byte[] _entryBuffer = new byte[256];
    private readonly EventQueue<object> _events;
    private Lsn? _appliedByCoordinator;
    private bool _disposed;

    private LocalDocument(LocalDocumentOptions options, (TimelineId Id, TimelineSecret Secret) timeline, IJournal timelineJournal, DocumentDatabase database)
    {
        _sync = database.DocumentLock; // the writer hands its lock over to readers under this lock
        _options = options;
        TimelineId = timeline.Id;
        TimelineSecret = timeline.Secret;
        _timeline = timelineJournal;
        _database = database;
        _events = new EventQueue<object>(Deliver);
    }

    /// <summary>
    /// Raised for each of this client's mutations the coordinator rejected, after the rebase that learnt
    /// it, outside the document's lock (see the class remarks for the thread).
    /// </summary>
    public event EventHandler<RejectedMutation>? MutationRejected;

    /// <summary>
    /// Raised after a local mutation or a rebase changed what queries see, outside the document's lock, in
    /// the order of the changes (see the class remarks for the thread). Handlers may call back into the
    /// document. <see cref="WatchChangesAsync"/> is the async alternative.
    /// </summary>
    public event EventHandler<DocumentChangedEventArgs>? Changed;

    /// <summary>The document's id.</summary>
    public string DocumentId => _database.DocumentId;

    /// <summary>This client's timeline: the id the coordinator knows its mutations by.</summary>
    public TimelineId TimelineId { get; }

    /// <summary>
    /// The proof that this client owns <see cref="TimelineId"/>, sent when the document is opened on a server; kept in
    /// <c>timeline.secret</c> beside <c>timeline.id</c>, never in the replicated database.
    /// </summary>
    internal TimelineSecret TimelineSecret { get; }

    /// <summary>The timeline entries not yet known to be applied by the coordinator.</summary>
    public LsnRange TimelineRange
    {
        get
        {
            lock (_sync) return _timeline.Range;
        }
    }

    /// <summary>How many local mutations wait for the coordinator.</summary>
    public int PendingMutationCount
    {
        get
        {
            lock (_sync) return (int)_timeline.Range.Count;
        }
    }

    /// <summary>The coordinator storage entries this replica holds.</summary>
    public LsnRange StorageRange
    {
        get
        {
            lock (_sync) return _database.Storage.Range;
        }
    }

    /// <summary>The database checksum of the coordinator state this replica holds (local changes aside).</summary>
    public ulong StorageChecksum
    {
        get
        {
            lock (_sync) return _database.Storage.Checksum;
        }
    }

    /// <summary>
    /// A Microsoft.Data.Sqlite connection string that reads the document's current state (local changes
    /// included), e.g. for Dapper. Read-only: change the document through mutations.
    /// </summary>
    public string ReadOnlyConnectionString => _database.ReadOnlyConnectionString;

    /// <summary>
    /// What the prepared-statement cache has done since the document opened (hits, misses, evictions);
    /// its size is <see cref="LocalDocumentOptions.StatementCacheSize"/>.
    /// </summary>
    internal StatementCacheStatistics StatementCacheStatistics
    {
        get
        {
            lock (_sync) return _database.Connection.StatementCacheStatistics;
        }
    }

    internal DocumentDatabase Database => _database;

    /// <summary>
    /// Opens a local document: in memory, or from <see cref="LocalDocumentOptions.Directory"/>, where its
    /// timeline id and journals persist; mutations made offline before a restart are applied again.
    /// </summary>
    public static LocalDocument Open(LocalDocumentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DocumentIds.Validate(options.DocumentId);
        DocumentDatabase.ValidateStatementCacheSize(options.DocumentId, options.StatementCacheSize);
        var journals = new JournalFactory(options.Directory, options.FsyncOnAppend);
        if (options.Directory is not null && System.IO.Directory.Exists(Path.Combine(options.Directory, StorageAside)))
        {
            System.IO.Directory.Delete(Path.Combine(options.Directory, StorageAside), recursive: true); // a checkpoint install cut short
        }

        (TimelineId, TimelineSecret) timeline = LoadOrCreateTimeline(options.Directory);
        RecordDocumentId(options.Directory, options.DocumentId);
        Storage.Checkpoints.CheckpointStore? checkpoints = journals.OpenCheckpoints();
        IJournal timelineJournal = journals.Open("timeline", JournalFactory.TimelineSegmentBytes);
        DocumentDatabase? database = null;
        try
        {
#pragma warning disable CA2000 // the database owns the storage journal from its constructor on, also when it throws
            database = new DocumentDatabase(options.DocumentId, "local", checkpoints, null, journals.Open("storage", JournalFactory.ClientStorageSegmentBytes), options.Reducer, options.ReaderDrainTimeout, options.StatementCacheSize, options.Limits, options.PageCacheBytes);
#pragma warning restore CA2000
            var document = new LocalDocument(options, timeline, timelineJournal, database);
            document.StartGroupCommit();
            document._checkpointStore = checkpoints;
            lock (document._sync)
            {
                document._database.WithFileHeld(() =>
                {
                    document.DropAppliedAndReapply();
                    return true;
                });
            }

            return document;
        }
        catch
        {
            database?.Dispose();
            timelineJournal.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Waits at most <see cref="LocalDocumentOptions.ReaderDrainTimeout"/> for a reader on
    /// <see cref="ReadOnlyConnectionString"/> that holds a read transaction, then throws
    /// <see cref="SqlSyncErrorCode.DocumentBusy"/>: the mutation was neither applied nor journaled.
    /// </remarks>
    public Lsn Mutate(IMutation mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        Lsn lsn;
        bool announced = AnnounceMutation();
        lock (_sync)
        {
            MutationEntered(announced);
            _writer.Reset();
            mutation.WriteTo(_writer);
            lsn = MutateOrRevertLocked(_writer.WrittenSpan);
        }

        _events.Drain();
        return lsn;
    }

    /// <summary>Applies an encoded mutation record (tag, then arguments); see <see cref="Mutate(IMutation)"/>.</summary>
    public Lsn Mutate(ReadOnlySpan<byte> record)
    {
        Lsn lsn;
        bool announced = AnnounceMutation();
        lock (_sync)
        {
            MutationEntered(announced);
            lsn = MutateOrRevertLocked(record);
        }

        _events.Drain();
        return lsn;
    }

    /// <summary>
    /// Runs a read query against the current state (local changes included): every statement of
    /// <paramref name="sql"/>, returning the rows of the last one with result columns (docs/determinism.md).
    /// A statement that would write is refused before it runs: only mutations change a document.
    /// A read over <see cref="MutationLimits.MaxVmStepsPerQuery"/> is stopped (<see cref="SqlSyncErrorCode.QueryOverBudget"/>).
    /// </summary>
    public IReadOnlyList<object?[]> Query(string sql, params object?[] args)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            return _database.QueryReadOnly(sql, args);
        }
    }

    /// <summary>The first column of the first row of a query, or default.</summary>
    public T? QueryScalar<T>(string sql, params object?[] args)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            return _database.QueryScalarReadOnly<T>(sql, args);
        }
    }

    /// <summary>Every mutation of this timeline the coordinator rejected, as its storage (synced so far) records them.</summary>
    public IReadOnlyList<RejectedMutation> GetRejections()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_database.ReadAppliedLsn(TimelineId) is not Lsn applied)
            {
                return Array.Empty<RejectedMutation>();
            }

            return ReadRejections(Lsn.Zero, applied);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<ILiveQuery>? live;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _flusher?.Close(); // what MutateAsync appended is made durable (or failed) before the journal closes
            live = CloseLiveQueries();
            foreach (var watcher in _watchers)
            {
                watcher.TryComplete();
            }

            _database.Dispose();
            _timeline.Dispose();
        }

        live?.ForEach(query => query.Complete());
        StopCheckpoint(); // outside the lock: its last step takes it
    }

    private Lsn MutateLocked(ReadOnlySpan<byte> record, bool deferFsync = false)
    {
        ThrowIfDisposed();
        Lsn lsn = _timeline.Range.Next;
        long timestamp = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var sandbox = _database.Sandbox;
        _database.BeginKeepingLock();
        try
        {
            _database.BeginWrite(); // waits (bounded) for readers, then DocumentBusy with nothing done

            // Encoded into a buffer kept across mutations (after BEGIN, which fails for a Mutate nested in a
            // reducer before it can overwrite the entry of the mutation around it).
            ReadOnlySpan<byte> entry = EncodeEntry(timestamp, record);
            Exception? failure;
            try
            {
                failure = _database.Applier.TryApply(TimelineId, lsn, entry, useSavepoint: false, exactPages: true, out _);
            }
            catch
            {
                sandbox.RollbackIfActive();
                throw;
            }

            if (failure is not null)
            {
                sandbox.RollbackIfActive();
                if (!_options.KeepMutationsThatFailLocally)
                {
                    throw new SqlSyncException(SqlSyncErrorCode.MutationFailed,
                        $"Mutation {_database.Applier.NameOf(record)} failed on document '{DocumentId}' and was rolled back: {MutationApplier.Describe(failure)}", failure);
                }

                AppendToTimeline(entry, deferFsync);
                return lsn;
            }

            try
            {
                AppendToTimeline(entry, deferFsync);
            }
            catch
            {
                sandbox.RollbackIfActive();
                throw;
            }

            try
            {
                sandbox.Commit(); // cannot wait for a reader: BEGIN EXCLUSIVE took every lock
            }
            catch
            {
                sandbox.RollbackIfActive(); // never leave the document inside an open transaction
                throw;
            }
        }
        finally
        {
            _database.HandOverIfAsked();
        }

        RaiseChanged(DocumentChange.LocalMutation);
        _live?.AfterLocalMutation();
        return lsn;
    }

    /// <summary>The timeline entry of <paramref name="record"/>, in <see cref="_entryBuffer"/> (valid until the next call).</summary>
    private ReadOnlySpan<byte> EncodeEntry(long timestamp, ReadOnlySpan<byte> record)
    {
        int size = TimelineEntry.HeaderSize + record.Length;
        if (_entryBuffer.Length < size)
        {
            _entryBuffer = new byte[Math.Max(size, _entryBuffer.Length * 2)];
        }

        return _entryBuffer.AsSpan(0, TimelineEntry.EncodeInto(_entryBuffer, timestamp, record));
    }

    /// <summary>Changes as they happen, until <paramref name="cancellationToken"/> is cancelled or the document is disposed.</summary>
    public async IAsyncEnumerable<DocumentChangedEventArgs> WatchChangesAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<DocumentChangedEventArgs>();
        EventHandler<DocumentChangedEventArgs> handler = (_, e) => channel.Writer.TryWrite(e);
        Changed += handler;
        lock (_sync)
        {
            _watchers.Add(channel.Writer);
        }

        try
        {
            await foreach (DocumentChangedEventArgs change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            Changed -= handler;
            lock (_sync)
            {
                _watchers.Remove(channel.Writer);
            }
        }
    }

    /// <summary>Queues a change under the lock; <see cref="EventQueue{T}.Drain"/> raises it once the lock is released.</summary>
    private void RaiseChanged(DocumentChange kind)
    {
        if (Changed is not null)
        {
            _events.Enqueue(new DocumentChangedEventArgs(kind, _database.Storage.Range, (int)_timeline.Range.Count));
        }
    }

    private void Deliver(object item)
    {
        switch (item)
        {
            case DocumentChangedEventArgs change:
                Changed?.Invoke(this, change);
                break;
            case RejectedMutation rejection:
                MutationRejected?.Invoke(this, rejection);
                break;
            case CheckpointDownloadProgress progress:
                CheckpointDownloadProgress?.Invoke(this, progress);
                break;
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new SqlSyncException(SqlSyncErrorCode.DocumentClosed, $"Local document '{DocumentId}' was disposed.");
        }

        if (_timelineLost is { } lost)
        {
            throw new SqlSyncException(lost.Code, lost.Message, lost);
        }
    }

    /// <summary>
    /// The timeline id and its secret: read from <c>timeline.id</c> and <c>timeline.secret</c>, or created. A directory
    /// of the previous version (an id, no secret) gets a new secret: the server binds it at the next open
    /// (docs/decisions/0011-timeline-secrets-and-quotas.md). The secret is created first, so that an id on disk always
    /// has its secret beside it.
    /// </summary>
    private static (TimelineId, TimelineSecret) LoadOrCreateTimeline(string? directory)
    {
        if (directory is null)
        {
            return (TimelineId.New(), TimelineSecret.New());
        }

        string secretPath = Path.Combine(directory, "timeline.secret");
        TimelineSecret secret;
        if (File.Exists(secretPath))
        {
            try
            {
                secret = TimelineSecret.ParseHex(File.ReadAllText(secretPath).Trim());
            }
            catch (Exception ex) when (ex is FormatException or SqlSyncException)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt, $"The timeline secret file '{secretPath}' is damaged.", ex);
            }
        }
        else
        {
            secret = TimelineSecret.New();
            WriteDurably(secretPath, secret.ToHex(), ownerOnly: true);
        }

        string path = Path.Combine(directory, "timeline.id");
        if (File.Exists(path))
        {
            string text = File.ReadAllText(path).Trim();
            try
            {
                return (TimelineId.Parse(text), secret);
            }
            catch (FormatException ex)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt, $"The timeline id file '{path}' is damaged: '{text}'.", ex);
            }
        }

        TimelineId created = TimelineId.New();
        WriteDurably(path, created.ToString(), ownerOnly: false);
        return (created, secret);
    }

    /// <summary>
    /// Writes <c>document.id</c> beside the timeline files once, so that tools (<c>sqlsync inspect</c>) name a
    /// client's folder by its document; a server's folders are named by their documents already.
    /// </summary>
    private static void RecordDocumentId(string? directory, string documentId)
    {
        if (directory is not null && !File.Exists(Path.Combine(directory, DocumentInspector.DocumentIdFileName)))
        {
            WriteDurably(Path.Combine(directory, DocumentInspector.DocumentIdFileName), documentId, ownerOnly: false);
        }
    }

    /// <summary>Writes a small file through a temporary one, fsync'd, renamed; <paramref name="ownerOnly"/> files are readable by their owner alone where the OS allows.</summary>
    private static void WriteDurably(string path, string text, bool ownerOnly)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
