using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>
/// The coordinator's copy of a document. It receives every client's timeline into a journal of its own,
/// queues the entries in arrival order, and <see cref="Step"/> applies them: the reducer's effects and the
/// upsert into <c>__sqlsync_timelines</c> commit in one SQLite transaction, and the pages written become
/// one storage journal entry. A mutation whose reducer throws is recorded in <c>__sqlsync_rejections</c>
/// and the document goes on. Thread-safe: calls are serialized.
/// </summary>
public sealed partial class CoordinatorDocument : IDisposable
{
    /// <summary>Received entries kept after they are applied, before the journal's prefix is dropped.</summary>
    private const ulong DropAppliedAfter = 1024;

    private readonly object _sync = new();
    private readonly JournalFactory _journals;
    private readonly CoordinatorDocumentOptions _options;
    private DocumentDatabase _database;
    private readonly Dictionary<TimelineId, IJournal> _received = new();
    private readonly Dictionary<TimelineId, Lsn> _applied = new();
    private readonly Queue<(TimelineId Timeline, Lsn Lsn)> _queue = new();

    /// <summary>Per timeline, the last received entry appended but not yet made durable.</summary>
    private readonly Dictionary<TimelineId, Lsn> _unsynced = new();
    private bool _disposed;

    private readonly MutationLimits _limits;

    /// <summary>Entries in flight when the process last stopped, run one per step before anything else.</summary>
    private readonly Queue<(TimelineId Timeline, Lsn Lsn)> _suspects = new();
    private InFlightRecord? _inFlight;

    private CoordinatorDocument(JournalFactory journals, DocumentDatabase database, CoordinatorDocumentOptions options)
    {
        _journals = journals;
        _options = options;
        _limits = options.Limits;
        _database = database;
        _retry = new StorageFaultRetry(this, options.StorageRetryMinDelay, options.StorageRetryMaxDelay);
    }

    /// <summary>The document's id.</summary>
    public string DocumentId => _database.DocumentId;

    /// <summary>The storage journal's range.</summary>
    public LsnRange StorageRange
    {
        get
        {
            lock (_sync) return _database.Storage.Range;
        }
    }

    /// <summary>The database checksum after the newest storage entry.</summary>
    public ulong StorageChecksum
    {
        get
        {
            lock (_sync) return _database.Storage.Checksum;
        }
    }

    /// <summary>Received mutations not yet applied.</summary>
    public int QueuedMutationCount
    {
        get
        {
            lock (_sync) return _queue.Count;
        }
    }

    /// <summary>A Microsoft.Data.Sqlite connection string for read-only access to the coordinator's state.</summary>
    public string ReadOnlyConnectionString => _database.ReadOnlyConnectionString;

    /// <summary>
    /// What the prepared-statement cache has done since the document opened (hits, misses, evictions);
    /// its size is <see cref="CoordinatorDocumentOptions.StatementCacheSize"/>.
    /// </summary>
    internal StatementCacheStatistics StatementCacheStatistics
    {
        get
        {
            lock (_sync) return _database.Connection.StatementCacheStatistics;
        }
    }

    internal DocumentDatabase Database => _database;

    /// <summary>Test hook: called at each point of a step; throwing there simulates a crash.</summary>
    internal Action<CoordinatorStepPoint>? FaultInjection { get; set; }

    /// <summary>
    /// Test hook: called for each mutation a step applied (rejected ones included), in the order it was
    /// applied, once the step's storage entry is appended.
    /// </summary>
    internal Action<TimelineId, Lsn>? AppliedObserver { get; set; }

    /// <summary>
    /// Opens a coordinator document, in memory or from <see cref="CoordinatorDocumentOptions.Directory"/>.
    /// The storage journal is replayed and checked; received entries not yet applied are queued again
    /// (by timeline id, then LSN: their arrival order is not kept across restarts, and need not be).
    /// </summary>
    public static CoordinatorDocument Open(CoordinatorDocumentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DocumentIds.Validate(options.DocumentId);
        DocumentDatabase.ValidateStatementCacheSize(options.DocumentId, options.StatementCacheSize);
        StorageFaultRetry.Validate(options.StorageRetryMinDelay, options.StorageRetryMaxDelay);
        var journals = new JournalFactory(options.Directory, options.FsyncOnAppend,
            options.Warning is { } warning ? message => warning($"Document '{options.DocumentId}': {message}") : null, options.JournalStore);
        CoordinatorDocument? document = null;
        try
        {
            document = new CoordinatorDocument(journals, OpenDatabase(journals, options), options);
            document.Initialize();
            return document;
        }
        catch (Exception e)
        {
            document?.Dispose();
            if (e is SqlSyncException && e.Data["DocumentId"] is null)
            {
                e.Data["DocumentId"] = options.DocumentId; // the error frame names the document that failed
            }

            throw;
        }
    }

    /// <summary>
    /// The range of <paramref name="timeline"/> the coordinator holds (the answer to a client's open);
    /// <see cref="LsnRange.Next"/> is where the client's next upload starts.
    /// </summary>
    internal LsnRange GetTimelineRange(TimelineId timeline)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            ThrowIfBroken();
            return _received.TryGetValue(timeline, out IJournal? journal) ? journal.Range : LsnRange.Empty;
        }
    }

    /// <summary>
    /// Takes a client's timeline entries (sync_receive): appends the new ones to the received journal and
    /// queues them. Duplicates are ignored; a gap stops at the gap. Returns the received range, which the
    /// client caches to prepare its next upload; the entries are durable when this returns.
    /// </summary>
    internal LsnRange ReceiveTimeline(TimelineId timeline, JournalPartial partial)
    {
        LsnRange range = AppendTimeline(timeline, partial);
        MakeTimelineDurable(timeline);
        return range;
    }

    /// <summary>
    /// <see cref="ReceiveTimeline"/> without making the entries durable: they are queued at once, so a step
    /// can apply them while (or instead of) <see cref="MakeTimelineDurable"/> syncing them.
    /// </summary>
    internal LsnRange AppendTimeline(TimelineId timeline, JournalPartial partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        try
        {
            return AppendTimelineLocked(timeline, partial);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            throw Pause(e);
        }
        catch (Exception e) when (IsFencedError(e))
        {
            throw Fence(e);
        }
    }

    private LsnRange AppendTimelineLocked(TimelineId timeline, JournalPartial partial)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            ThrowIfPaused();
            IJournal journal = ReceivedJournal(timeline);
            Lsn first = journal.Range.Next;
            for (int i = 0; i < partial.Entries.Count; i++)
            {
                var lsn = new Lsn(partial.Range.First.Value + (ulong)i);
                Lsn next = journal.Range.Next;
                if (lsn < next)
                {
                    continue;
                }

                if (lsn > next)
                {
                    break;
                }

                journal.Append(partial.Entries[i].Span);
            }

            if (journal.Range.Next > first)
            {
                _unsynced[timeline] = journal.Range.Last;
            }

            for (ulong lsn = first.Value; lsn < journal.Range.Next.Value; lsn++)
            {
                _queue.Enqueue((timeline, new Lsn(lsn)));
            }

            return journal.Range;
        }
    }

    /// <summary>
    /// Makes every entry appended to <paramref name="timeline"/> durable before it is acknowledged. Entries a
    /// step already applied are durable through the step's storage entry (it records them as applied), so
    /// when a step came first there is nothing to sync; otherwise one fsync covers the whole upload (group
    /// commit). After a crash the received journal may then end before the applied LSN; opening fills that.
    /// </summary>
    internal void MakeTimelineDurable(TimelineId timeline)
    {
        try
        {
            lock (_sync)
            {
                ThrowIfDisposed();
                ThrowIfPaused();
                if (!_unsynced.Remove(timeline, out Lsn last))
                {
                    return;
                }

                bool applied = _applied.TryGetValue(timeline, out Lsn appliedLsn) && appliedLsn >= last;
                if (_journals.FsyncOnAppend && !applied)
                {
                    _received[timeline].Flush();
                }

                _consecutiveFaults = 0;
            }
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            throw Pause(e);
        }
        catch (Exception e) when (IsFencedError(e))
        {
            throw Fence(e);
        }
    }

    /// <summary>
    /// The storage entries after <paramref name="replicaStorageRange"/> (sync_prepare), at most about
    /// <paramref name="maxBytes"/>; null when the replica is up to date.
    /// </summary>
    internal JournalPartial? PrepareStorageSync(LsnRange replicaStorageRange, long maxBytes = LocalDocument.DefaultMaxSyncBytes) =>
        PrepareStorageSyncWithEnd(replicaStorageRange, maxBytes).Partial;

    /// <summary>
    /// <paramref name="partial"/> as the wire carries it to clients: each entry whose page delta is still kept replaced
    /// by it (decision 0025), the others full.
    /// </summary>
    internal JournalPartial ForWire(JournalPartial partial) => PageDeltas?.Substitute(partial) ?? partial;

    /// <summary>The recent page deltas kept for the wire; null when <see cref="CoordinatorDocumentOptions.PageDeltaBytes"/> is 0.</summary>
    internal Storage.PageDeltaLog? PageDeltas
    {
        get
        {
            lock (_sync)
            {
                return _database.Storage.Deltas;
            }
        }
    }

    /// <summary><see cref="PrepareStorageSync"/>, with the end of the storage journal when it was read.</summary>
    internal (JournalPartial? Partial, Lsn StorageNext) PrepareStorageSyncWithEnd(LsnRange replicaStorageRange, long maxBytes)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            ThrowIfBroken();
            LsnRange range = _database.Storage.Range;
            if (replicaStorageRange.Next > range.Next)
            {
                throw new SqlSyncException(SqlSyncErrorCode.SyncMismatch,
                    $"Document '{DocumentId}': the replica holds storage up to {replicaStorageRange}, beyond the coordinator's {range}.");
            }

            if (replicaStorageRange.Next < range.First)
            {
                throw new SqlSyncException(SqlSyncErrorCode.StorageCompacted,
                    $"Document '{DocumentId}': the replica needs storage from LSN {replicaStorageRange.Next}, but the coordinator keeps only {range}; the entries before were compacted into the checkpoint at LSN {range.First.Value - 1}.");
            }

            return (JournalPartial.Read(_database.Storage.Journal, replicaStorageRange.Next, maxBytes), range.Next);
        }
    }

    /// <summary>
    /// Runs a read query against the coordinator's state: every statement of <paramref name="sql"/>,
    /// returning the rows of the last one with result columns (docs/determinism.md). A statement that would
    /// write is refused before it runs: whatever it wrote would be published as if a mutation had.
    /// A read over <see cref="MutationLimits.MaxVmStepsPerQuery"/> is stopped (<see cref="SqlSyncErrorCode.QueryOverBudget"/>).
    /// </summary>
    public IReadOnlyList<object?[]> Query(string sql, params object?[] args)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            ThrowIfBroken();
            return _database.QueryReadOnly(sql, args);
        }
    }

    /// <summary>The applied LSN of every timeline, as committed in the document.</summary>
    internal IReadOnlyDictionary<TimelineId, Lsn> GetAppliedLsns()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            return new Dictionary<TimelineId, Lsn>(_applied);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Task? checkpoint;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            checkpoint = _checkpointTask;
            _retry.Dispose();
            _inFlight?.Dispose();
            _database.Dispose();
            foreach (IJournal journal in _received.Values)
            {
                journal.Dispose();
            }
        }

        StopCheckpoint(checkpoint); // outside the lock: its last step takes it
    }

    private IJournal ReceivedJournal(TimelineId timeline)
    {
        if (!_received.TryGetValue(timeline, out IJournal? journal))
        {
            journal = _journals.OpenBatched(Path.Combine("timelines", timeline.ToString()));
            _received.Add(timeline, journal);
        }

        return journal;
    }

    /// <summary>Closed (its host let go of it, e.g. fenced by another coordinator): links holding it must not serve it.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed);

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new SqlSyncException(SqlSyncErrorCode.DocumentClosed, $"Coordinator document '{DocumentId}' was disposed.");
        }
    }
}
