using System.Diagnostics;
using SqlSync.Storage;

namespace SqlSync.Documents;

/// <summary>
/// A local document's live queries and what they depend on. Under the document's lock, a local mutation
/// or a rebase marks the queries that read a table it wrote (<see cref="TableWriteTracker"/> for local writes,
/// <see cref="BTreePageOwners"/> for the pages of coordinator entries), found through <see cref="LiveQueryIndex"/>,
/// or every query after a schema change or when what changed is unknown; one refresh loop at a time, on the
/// thread pool, runs the marked queries again, those someone follows first, in slices under the document
/// lock (a slice ends after <see cref="SliceBudget"/>, so mutations interleave; within one slice identical
/// SQL with equal arguments runs once and its rows are shared), and hands each result that differs to
/// <see cref="LiveDeliveries"/> as soon as it is computed: deliveries of one document are sequential, in
/// the order computed, outside every lock, and a subscriber that mutates from its callback only queues more
/// work for the same loop. A watched result ends its slice; queries nobody watches are not delivered and wait for a
/// pause in the changes (<see cref="UnwatchedQuiet"/>, at most <see cref="UnwatchedMaxLag"/>). See docs/decisions/0022-live-queries.md,
/// 0029, 0033 and 0040.
/// </summary>
internal sealed class LiveQueryRegistry
{
    private readonly object _sync;
    private readonly DocumentDatabase _database;
    private readonly MutationLimits _limits;
    private readonly TableWriteTracker _tracker;
    private readonly List<ILiveQuery> _queries = new();
    private readonly LiveQueryIndex _index = new();
    private readonly Queue<ILiveQuery> _watched = new();
    private readonly Queue<ILiveQuery> _unwatched = new();
    private readonly LiveDeliveries _deliveries = new();
    private readonly Action<object?> _refresh;

    /// <summary>The rows each SQL text ran to in the current slice (the database cannot change within one): identical queries run once.</summary>
    private readonly Dictionary<string, List<(object?[] Args, string[] Columns, List<object?[]> Rows)>> _slice = new(StringComparer.Ordinal);
    private bool _inSlice;
    private long _runSequence;

    /// <summary>Tables the local changes since the last rebase wrote (a rebase drops them): null when unknown.</summary>
    private HashSet<string>? _pendingTables;
    private Dictionary<long, string>? _tablesByRoot;
    private long _tablesByRootVersion;
    private long _schemaVersion;
    private ulong _storageNext;
    private bool _scheduled;

    /// <summary>True while a mutation waits for the document lock: slices let it go first (the lock is not fair).</summary>
    private readonly Func<bool>? _mutationWaiting;

    /// <summary>When the slices began to be put off for waiting mutations (a Stopwatch timestamp), 0 when they are not.</summary>
    private long _deferredSince;

    /// <summary>How long slices are put off for waiting mutations at most: a writer in a tight loop cannot starve the queries.</summary>
    private static readonly long MaxDeferral = Stopwatch.Frequency / 500; // 2 ms: a woken writer takes tens of microseconds
    private bool _closed;

    /// <summary>1 while the refresh loop is parked (for a waiting mutation, or resting); whoever takes the flag queues it again.</summary>
    private int _parked;

    /// <summary>When a local mutation or a rebase last marked queries (a Stopwatch timestamp).</summary>
    private long _lastMarkAt;

    /// <summary>When the queries nobody watches began to wait for the mutations to pause (0: they are not waiting).</summary>
    private long _restingSince;

    /// <summary>How many queries of the current pass over the unwatched queue are still to run (the loop rests only between passes).</summary>
    private int _passRemaining;

    private Timer? _restTimer;

    public LiveQueryRegistry(object sync, DocumentDatabase database, MutationLimits limits, Func<bool>? mutationWaiting = null)
    {
        _sync = sync;
        _mutationWaiting = mutationWaiting;
        _database = database;
        _limits = limits;
        _tracker = new TableWriteTracker(database.Connection.Handle.DangerousGetHandle());
        _refresh = _ => Refresh();
    }

    public DocumentDatabase Database => _database;

    public MutationLimits Limits => _limits;

    /// <summary>How long one slice of the refresh loop holds the document lock before it lets mutations in (tests may widen it).</summary>
    internal TimeSpan SliceBudget { get; set; } = TimeSpan.FromMilliseconds(0.25);

    /// <summary>
    /// How long the document must go without a change before queries nobody watches run again (a stream of mutations
    /// would otherwise keep a core busy re-running them, and the UI thread waits for it); see <see cref="UnwatchedMaxLag"/>.
    /// </summary>
    internal TimeSpan UnwatchedQuiet { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>How long queries nobody watches wait at most for a pause: then one pass over them runs, slices between mutations.</summary>
    internal TimeSpan UnwatchedMaxLag { get; set; } = TimeSpan.FromMilliseconds(16);

    /// <summary>How many results went to the delivery loop (tests).</summary>
    internal long DeliveriesHanded => _deliveries.Handed;

    /// <summary>Under the lock: how many slices ran (tests: a watched result ends its slice).</summary>
    internal long Slices { get; private set; }

    /// <summary>Under the lock: the number of the latest run (tests: the order queries ran in).</summary>
    public long RunSequence => _runSequence;

    /// <summary>
    /// Under the lock: the rows of <paramref name="sql"/> with <paramref name="args"/>, shared with an identical
    /// query that ran earlier in this slice, else from <paramref name="run"/> (a failure is not shared: each query reports its own).
    /// </summary>
    public (string[] Columns, List<object?[]> Rows) RunShared(string sql, object?[] args, Func<(string[] Columns, List<object?[]> Rows)> run)
    {
        _runSequence++;
        if (!_inSlice)
        {
            return run();
        }

        if (_slice.TryGetValue(sql, out var earlier))
        {
            foreach ((object?[] Args, string[] Columns, List<object?[]> Rows) shared in earlier)
            {
                if (LiveValues.SameRow(shared.Args, args))
                {
                    return (shared.Columns, shared.Rows);
                }
            }
        }
        else
        {
            _slice[sql] = earlier = new();
        }

        (string[] columns, List<object?[]> rows) = run();
        earlier.Add((args, columns, rows));
        return (columns, rows);
    }

    /// <summary>Under the lock: starts tracking writes (the first query) and adds the query.</summary>
    public void Add(ILiveQuery query)
    {
        if (_queries.Count == 0)
        {
            _tracker.Install();
            _pendingTables = _database.Storage.PendingPageCount == 0 ? new HashSet<string>(StringComparer.OrdinalIgnoreCase) : null;
            _schemaVersion = ReadSchemaVersion();
            _storageNext = _database.Storage.Range.Next.Value;
            _database.Storage.RecordReceivedPages(true);
        }

        _queries.Add(query);
        _index.Add(query);
    }

    /// <summary>Under the lock: the query's <see cref="ILiveQuery.Tables"/> were computed again (after a schema change).</summary>
    public void TablesChanged(ILiveQuery query) => _index.Update(query);

    /// <summary>How many live queries the marking looked at since the document opened (tests: work per change follows the affected queries).</summary>
    public long MarkChecks => _index.Checks;

    /// <summary>Under the lock: removes the query; the last one stops the tracking (mutations pay nothing again).</summary>
    public void Remove(ILiveQuery query)
    {
        _queries.Remove(query);
        _index.Remove(query);
        if (_queries.Count == 0)
        {
            _tracker.Uninstall();
            _database.Storage.RecordReceivedPages(false);
        }
    }

    /// <summary>Under the lock: queues the query for delivery (a new subscriber waits for the current result).</summary>
    public void Enqueue(ILiveQuery query)
    {
        bool watched = query.Watched;
        if (!query.Queued)
        {
            query.Queued = true;
            (watched ? _watched : _unwatched).Enqueue(query);
        }
        else if (watched)
        {
            // A new subscriber of a query waiting among the unwatched: it goes first too (its stale place is then found
            // clean and costs nothing); a query queued twice runs once, since a run clears Dirty.
            _watched.Enqueue(query);
        }

        if (watched)
        {
            Resume(); // a loop resting for the unwatched ones runs a watched query at once
        }

        Schedule();
    }

    /// <summary>The hook after a local mutation committed, under the lock: nearly free without live queries.</summary>
    public void AfterLocalMutation()
    {
        if (_queries.Count == 0)
        {
            return;
        }

        HashSet<string>? written = _tracker.Take();
        _lastMarkAt = Stopwatch.GetTimestamp();
        if (SchemaChanged())
        {
            MarkAll(schema: true);
            _pendingTables = null;
            return;
        }

        Mark(written);
        if (written is null)
        {
            _pendingTables = null;
        }
        else
        {
            _pendingTables?.UnionWith(written);
        }
    }

    /// <summary>
    /// The hook after a rebase, under the lock. The dropped local changes wrote <see cref="_pendingTables"/>,
    /// the mutations applied again wrote what the tracker saw, and coordinator entries that arrived wrote
    /// pages, mapped to the tables whose b-trees hold them in the new committed view (<see cref="BTreePageOwners"/>).
    /// A schema change, or anything unknown, marks every query.
    /// </summary>
    public void AfterRebase()
    {
        if (_queries.Count == 0)
        {
            return;
        }

        HashSet<string>? reapplied = _tracker.Take();
        _lastMarkAt = Stopwatch.GetTimestamp();
        HashSet<uint>? receivedPages = _database.Storage.TakeReceivedPages();
        ulong storageNext = _database.Storage.Range.Next.Value;
        bool received = storageNext != _storageNext;
        _storageNext = storageNext;
        bool schema = SchemaChanged();
        HashSet<string>? serverTables = received ? TablesWrittenBy(receivedPages) : null;
        if (schema || _pendingTables is null || reapplied is null || (received && serverTables is null))
        {
            MarkAll(schema);
        }
        else
        {
            if (serverTables is not null)
            {
                Mark(serverTables);
            }

            Mark(_pendingTables);
            Mark(reapplied);
        }

        _pendingTables = reapplied;
    }

    /// <summary>The tables whose b-trees hold <paramref name="pages"/> in the committed view; null when that cannot be known.</summary>
    private HashSet<string>? TablesWrittenBy(HashSet<uint>? pages)
    {
        // The roots come from the connection's schema, which includes the local changes applied again: they
        // are the committed view's roots only when those changes hold no schema change.
        if (pages is null || _database.File.SchemaChangedLocally)
        {
            return null;
        }

        Dictionary<long, string> tablesByRoot = TablesByRoot();
        Dictionary<uint, uint>? owners = BTreePageOwners.Map(_database.Storage, tablesByRoot.Keys);
        if (owners is null)
        {
            return null;
        }

        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (uint page in pages)
        {
            if (owners.TryGetValue(page, out uint root))
            {
                tables.Add(tablesByRoot[root]);
            }
        }

        return tables;
    }

    /// <summary>Under the lock: the table a root page belongs to (tables and their indexes), or null when unknown.</summary>
    public HashSet<string>? TablesOf(HashSet<long>? roots)
    {
        if (roots is null)
        {
            return null;
        }

        Dictionary<long, string> tablesByRoot = TablesByRoot();
        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (long root in roots)
        {
            if (!tablesByRoot.TryGetValue(root, out string? table))
            {
                return null;
            }

            tables.Add(table);
        }

        return tables;
    }

    /// <summary>Root page → table (an index's root → its table), read again when the schema version moved.</summary>
    private Dictionary<long, string> TablesByRoot()
    {
        long version = ReadSchemaVersion(); // the map may predate a schema change made while no live query existed
        if (_tablesByRoot is null || version != _tablesByRootVersion)
        {
            _tablesByRootVersion = version;
            _tablesByRoot = new Dictionary<long, string> { [1] = "sqlite_schema" };
            foreach (object?[] row in _database.Connection.Query("SELECT rootpage, tbl_name FROM sqlite_schema WHERE rootpage > 0", ReadOnlySpan<object?>.Empty))
            {
                _tablesByRoot[(long)row[0]!] = (string)row[1]!;
            }
        }

        return _tablesByRoot;
    }

    /// <summary>Under the lock (document disposal): releases every statement; returns the queries to complete outside it.</summary>
    public List<ILiveQuery> Close()
    {
        _closed = true;
        var closed = new List<ILiveQuery>(_queries);
        foreach (ILiveQuery query in closed)
        {
            query.CloseLocked();
        }

        _restTimer?.Dispose();
        _queries.Clear();
        _index.Clear();
        _watched.Clear();
        _unwatched.Clear();
        _tracker.Uninstall();
        _database.Storage.RecordReceivedPages(false);
        return closed;
    }

    private void Mark(HashSet<string>? written)
    {
        if (written is null)
        {
            MarkAll(schema: false);
            return;
        }

        if (written.Count == 0)
        {
            return;
        }

        foreach (ILiveQuery query in _index.Readers(written))
        {
            if (!query.Dirty)
            {
                MarkOne(query);
            }
        }
    }

    private void MarkAll(bool schema)
    {
        if (schema)
        {
            _tablesByRoot = null;
        }

        foreach (ILiveQuery query in _queries)
        {
            if (schema)
            {
                query.ForgetTables();
            }

            if (!query.Dirty)
            {
                MarkOne(query);
            }
        }
    }

    private void MarkOne(ILiveQuery query)
    {
        query.Dirty = true;
        Enqueue(query);
    }

    private void Schedule()
    {
        if (!_scheduled && !_closed)
        {
            _scheduled = true;
            ThreadPool.UnsafeQueueUserWorkItem(_refresh, null, preferLocal: false);
        }
    }

    /// <summary>
    /// Before the loop gives way to a waiting mutation: parks it (no spinning on a core the woken writer may need);
    /// false when the mutation got through meanwhile and the loop should go on. Dekker with <see cref="MutationEntered"/>:
    /// this sets the flag and then looks at the waiting count; a mutation lowers the count and then looks at the flag.
    /// </summary>
    private bool Park()
    {
        Interlocked.Exchange(ref _parked, 1);
        if (_mutationWaiting!())
        {
            return true;
        }

        return Interlocked.Exchange(ref _parked, 0) == 0; // a mutation took the flag: it queued the loop already
    }

    /// <summary>A mutation that announced itself holds the lock now: resumes the loop it parked (it runs once the lock is free).</summary>
    public void MutationEntered() => Resume();

    /// <summary>Queues the parked loop again, once (whoever takes the flag).</summary>
    private void Resume()
    {
        if (Volatile.Read(ref _parked) == 1 && Interlocked.Exchange(ref _parked, 0) == 1)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_refresh, null, preferLocal: false);
        }
    }

    /// <summary>
    /// Under the lock, before a pass over the queries nobody watches: true when they should wait, because the document
    /// changed within <see cref="UnwatchedQuiet"/> and they have not waited <see cref="UnwatchedMaxLag"/> yet.
    /// </summary>
    private bool ShouldRest(long now, out TimeSpan wake)
    {
        wake = TimeSpan.Zero;
        long quiet = (long)(UnwatchedQuiet.TotalSeconds * Stopwatch.Frequency);
        long maxLag = (long)(UnwatchedMaxLag.TotalSeconds * Stopwatch.Frequency);
        if (now - _lastMarkAt >= quiet)
        {
            return false;
        }

        if (_restingSince == 0)
        {
            _restingSince = now;
        }

        if (now - _restingSince >= maxLag)
        {
            return false;
        }

        wake = Stopwatch.GetElapsedTime(now, Math.Min(_lastMarkAt + quiet, _restingSince + maxLag));
        return true;
    }

    /// <summary>Under the lock: parks the loop until <paramref name="wake"/> has passed, a watched query is queued or a mutation enters.</summary>
    private void Rest(TimeSpan wake)
    {
        Interlocked.Exchange(ref _parked, 1);
        _restTimer ??= new Timer(static state => ((LiveQueryRegistry)state!).Resume(), this, Timeout.Infinite, Timeout.Infinite);
        _restTimer.Change(Math.Max(1, (long)Math.Ceiling(wake.TotalMilliseconds)), Timeout.Infinite);
    }

    private bool SchemaChanged()
    {
        long version = ReadSchemaVersion();
        if (version == _schemaVersion)
        {
            return false;
        }

        _schemaVersion = version;
        return true;
    }

    private long ReadSchemaVersion() => _database.Connection.QueryScalar<long>("PRAGMA schema_version", ReadOnlySpan<object?>.Empty);

    /// <summary>Under the lock: the next query nobody watches, unless a new pass over them should wait (<paramref name="rest"/>).</summary>
    private bool TakeUnwatched([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ILiveQuery? query, out bool rest, out TimeSpan wake)
    {
        query = null;
        rest = false;
        wake = TimeSpan.Zero;
        if (_unwatched.Count == 0)
        {
            _passRemaining = 0;
            _restingSince = 0;
            return false;
        }

        if (_passRemaining == 0)
        {
            if (ShouldRest(Stopwatch.GetTimestamp(), out wake))
            {
                rest = true;
                return false;
            }

            _restingSince = 0;
            _passRemaining = _unwatched.Count;
        }

        _passRemaining--;
        return _unwatched.TryDequeue(out query);
    }

    /// <summary>
    /// The refresh loop: a slice of queries under the lock (watched ones first), each result handed to the
    /// deliveries as soon as it is computed; between slices the lock is free and the loop goes back to the pool.
    /// </summary>
    private void Refresh()
    {
        // A mutation waiting for the lock goes first: a slice that took the lock again at once (on the other core, before
        // the waiting thread woke) kept it from the lock for as long as the queue lasted (Mutate p50 5.9 ms beside 999
        // unwatched queries on its table). Its own queries are marked when it commits and run in the next slice.
        if (_mutationWaiting is not null && _mutationWaiting())
        {
            long now = Stopwatch.GetTimestamp();
            if (_deferredSince == 0)
            {
                _deferredSince = now;
            }

            if (now - _deferredSince < MaxDeferral && Park())
            {
                return; // the waiting mutation resumes the loop once it holds the lock (MutationEntered)
            }
        }

        _deferredSince = 0;
        lock (_sync)
        {
            long deadline = Stopwatch.GetTimestamp() + (long)(SliceBudget.TotalSeconds * Stopwatch.Frequency);
            Slices++;
            _inSlice = true;
            bool deliveredWatched = false;
            bool rest = false;
            TimeSpan wake = TimeSpan.Zero;
            try
            {
                while (!_closed && (_watched.TryDequeue(out ILiveQuery? query) || TakeUnwatched(out query, out rest, out wake)))
                {
                    query.Queued = false;
                    bool watched = query.Watched;
                    if (query.RunLocked(this))
                    {
                        _deliveries.Add(query, watched);
                        deliveredWatched |= watched;
                    }

                    // A watched result goes out before the others run: the slice ends, so the delivery loop, queued
                    // first, gets a thread (this one, when the pool has no other) before the next slice.
                    if (Stopwatch.GetTimestamp() > deadline || (deliveredWatched && _watched.Count == 0))
                    {
                        break;
                    }
                }
            }
            finally
            {
                _inSlice = false;
                _slice.Clear();
            }

            if (_closed || (_watched.Count == 0 && _unwatched.Count == 0))
            {
                _scheduled = false;
                return;
            }

            if (rest && _watched.Count == 0)
            {
                Rest(wake); // still scheduled: a watched query, a mutation or the timer queues the loop again
                return;
            }
        }

        // More to run: a new work item, so a mutation waiting for the lock gets it between slices.
        ThreadPool.UnsafeQueueUserWorkItem(_refresh, null, preferLocal: false);
    }
}
