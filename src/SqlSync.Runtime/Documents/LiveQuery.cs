using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using SQLitePCL;

namespace SqlSync.Documents;

/// <summary>
/// A query that follows a local document: its current rows, then a new result each time a local mutation
/// or a rebase changed it, as an event (<see cref="Changed"/>), an <see cref="IObservable{T}"/> and an
/// <see cref="IAsyncEnumerable{T}"/>. It runs again only when a change wrote a table its plan reads (every
/// query after a schema change, or when coordinator entries arrived), and a result equal to the last one
/// is not delivered. Delivery is asynchronous, never under the document's lock, one result at a time per
/// document, in order; on the <see cref="SynchronizationContext"/> given to
/// <see cref="LocalDocument.Live{T}(SynchronizationContext?, string, object?[])"/> when there is one.
/// Subscribers may call the document (mutate) from their callbacks. An exception thrown by a subscriber is
/// not swallowed: it is rethrown, unhandled, on the thread pool, as a <see cref="Timer"/> callback's would be.
/// Dispose it to stop (the document's disposal stops it too).
/// </summary>
/// <typeparam name="T">The row type: <c>object?[]</c>, a scalar for one column, or a class or record whose members are named after the columns.</typeparam>
public sealed class LiveQuery<T> : IObservable<IReadOnlyList<T>>, IAsyncEnumerable<IReadOnlyList<T>>, IDisposable, ILiveQuery
{
    private readonly LocalDocument _document;
    private readonly LiveQueryRegistry _registry;
    private readonly object?[] _args;
    private readonly SynchronizationContext? _context;
    /// <summary>Subscribers, and the result waiting for delivery (a leaf lock: delivery never takes the document's).</summary>
    private readonly object _subscribers = new();
    private readonly Func<(string[] Columns, List<object?[]> Rows)> _run;
    private readonly List<IObserver<IReadOnlyList<T>>> _observers = new();
    private readonly List<IObserver<IReadOnlyList<T>>> _newObservers = new();
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "Disposed under the document lock by CloseLocked, from Dispose and from the document's disposal.")]
    private sqlite3_stmt? _statement;
    private HashSet<string>? _tables;
    private bool _tablesKnown;
    private List<object?[]> _lastRows;
    private string[] _lastColumns;
    private RowMapper<T> _mapper;
    private IReadOnlyList<T> _current;
    private List<object?[]>? _toDeliver;
    private string[]? _toDeliverColumns;
    /// <summary>A newer result of a query nobody watched when it ran: mapped when <see cref="Current"/> is read, not delivered.</summary>
    private List<object?[]>? _unmapped;
    private string[]? _unmappedColumns;
    /// <summary>Results are numbered as they are computed; <see cref="Current"/> only moves to a newer one (two threads map: the delivery loop and a reader).</summary>
    private long _resultNumber;
    private long _toDeliverNumber;
    private long _currentNumber;
    private SqlSyncException? _runError;
    private long _runCount;
    private bool _closed;

    internal LiveQuery(LocalDocument document, LiveQueryRegistry registry, string sql, object?[] args, SynchronizationContext? context)
    {
        _document = document;
        _registry = registry;
        Sql = sql;
        _args = args;
        _context = context;
        _run = Run;

        // Under the document lock (the caller's): prepared, planned and run once, so a bad query or type
        // fails here, in the caller's hands.
        _statement = registry.Database.Connection.PrepareRead(sql, args.Length);
        try
        {
            ComputeTables();
            (_lastColumns, _lastRows) = Run();
            _mapper = RowMapper<T>.Create(_lastColumns, sql);
            _current = _mapper.MapAll(_lastRows);
        }
        catch
        {
            _statement.Dispose();
            throw;
        }
    }

    /// <summary>Raised with each new result (not the first: read <see cref="Current"/>), outside the document's lock.</summary>
    public event EventHandler<IReadOnlyList<T>>? Changed;

    /// <summary>
    /// Raised when running the query again failed (a table it reads was dropped) or its rows no longer fit
    /// <typeparamref name="T"/>; the query stays live and delivers again once it succeeds.
    /// </summary>
    public event EventHandler<SqlSyncException>? Failed;

    /// <summary>The query's SQL.</summary>
    public string Sql { get; }

    /// <summary>The latest result (the first one from the moment the live query was created).</summary>
    public IReadOnlyList<T> Current
    {
        get
        {
            if (Volatile.Read(ref _unmapped) is not null)
            {
                MapUnmapped();
            }

            return Volatile.Read(ref _current);
        }
    }

    /// <summary>How many times the query ran, the first run included: a change that did not touch its tables does not run it.</summary>
    public long RunCount => Interlocked.Read(ref _runCount);

    /// <summary>The tables the query's plan reads, as last computed (null: unknown, it runs after every change).</summary>
    public IReadOnlyCollection<string>? Tables
    {
        get
        {
            lock (_document.Database.DocumentLock) return _tables is null ? null : new List<string>(_tables);
        }
    }

    HashSet<string>? ILiveQuery.Tables => _tables;

    bool ILiveQuery.Dirty { get; set; }

    bool ILiveQuery.Queued { get; set; }

    /// <summary>Someone follows its results (an observer, an enumeration, a handler): its run goes before those nobody follows.</summary>
    bool ILiveQuery.Watched
    {
        get
        {
            if (Changed is not null || Failed is not null)
            {
                return true;
            }

            lock (_subscribers) return _observers.Count + _newObservers.Count > 0;
        }
    }

    /// <summary>The registry's run sequence number at this query's last run (tests: watched queries run first).</summary>
    internal long LastRunSequence { get; private set; }

    /// <summary>Subscribes: the observer gets the current result, then every new one, until disposed.</summary>
    public IDisposable Subscribe(IObserver<IReadOnlyList<T>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        bool closed;
        lock (_document.Database.DocumentLock)
        {
            closed = _closed;
            if (!closed)
            {
                lock (_subscribers)
                {
                    _newObservers.Add(observer);
                }

                _registry.Enqueue(this); // the current result is delivered by the refresh loop, in order with the next ones
            }
        }

        if (closed)
        {
            Post(observer.OnCompleted); // user code, never under the document's lock
        }

        return new Unsubscriber(this, observer);
    }

    /// <summary>The current result, then each new one; the newest wins when the consumer is slower than the changes.</summary>
    public async IAsyncEnumerator<IReadOnlyList<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<IReadOnlyList<T>>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var observer = new ChannelObserver(channel.Writer);
        using IDisposable subscription = Subscribe(observer);
        while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (channel.Reader.TryRead(out IReadOnlyList<T>? result))
            {
                yield return result;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_document.Database.DocumentLock)
        {
            if (_closed)
            {
                return;
            }

            ((ILiveQuery)this).CloseLocked();
            _registry.Remove(this);
        }

        ((ILiveQuery)this).Complete();
    }

    void ILiveQuery.ForgetTables() => _tablesKnown = false;

    bool ILiveQuery.RunLocked(LiveQueryRegistry registry)
    {
        if (_closed)
        {
            return false;
        }

        bool newSubscribers;
        lock (_subscribers)
        {
            newSubscribers = _newObservers.Count > 0;
        }

        ILiveQuery self = this;
        if (!self.Dirty)
        {
            return newSubscribers;
        }

        self.Dirty = false;
        try
        {
            if (!_tablesKnown)
            {
                ComputeTables();
            }

            (string[] columns, List<object?[]> rows) = registry.RunShared(Sql, _args, _run);
            LastRunSequence = registry.RunSequence;
            bool same = columns.AsSpan().SequenceEqual(_lastColumns) && LiveValues.SameRows(rows, _lastRows);
            bool watched = self.Watched;
            lock (_subscribers)
            {
                _runError = null;
                if (same)
                {
                    return newSubscribers;
                }

                _lastColumns = columns;
                _lastRows = rows;
                _resultNumber++;
                if (!watched && !newSubscribers)
                {
                    // Nobody to hand it to: Current maps it when read, and the delivery loop has nothing to do.
                    _unmapped = rows;
                    _unmappedColumns = columns;
                    _toDeliver = null;
                    return false;
                }

                _unmapped = null;
                _toDeliver = rows; // a newer result replaces one not yet delivered: the newest wins
                _toDeliverColumns = columns;
                _toDeliverNumber = _resultNumber;
            }
        }
        catch (SqlSyncException ex)
        {
            lock (_subscribers)
            {
                _runError = ex;
            }
        }

        return true;
    }

    void ILiveQuery.Deliver()
    {
        // Not under the document lock: the refresh loop may hold it while it runs the next queries.
        List<object?[]>? rows;
        string[]? columns;
        SqlSyncException? error;
        long number;
        IObserver<IReadOnlyList<T>>[] fresh;
        IObserver<IReadOnlyList<T>>[] existing;
        lock (_subscribers)
        {
            if (_closed)
            {
                return;
            }

            rows = _toDeliver;
            columns = _toDeliverColumns;
            number = _toDeliverNumber;
            error = _runError;
            _toDeliver = null;
            _runError = null;
            if (rows is null && error is null && _newObservers.Count == 0)
            {
                return; // delivered already: the newest result was queued twice
            }

            existing = _observers.ToArray();
            fresh = _newObservers.ToArray();
            _observers.AddRange(_newObservers);
            _newObservers.Clear();
        }

        IReadOnlyList<T>? result = null;
        if (rows is not null)
        {
            try
            {
                result = MapperFor(columns!).MapAll(rows);
                SetCurrent(result, number);
            }
            catch (SqlSyncException ex)
            {
                error = ex;
            }
        }

        IReadOnlyList<T> current = Current;
        Post(() =>
        {
            foreach (IObserver<IReadOnlyList<T>> observer in fresh)
            {
                observer.OnNext(current);
            }

            if (error is not null)
            {
                Failed?.Invoke(this, error);
            }
            else if (result is not null)
            {
                foreach (IObserver<IReadOnlyList<T>> observer in existing)
                {
                    observer.OnNext(result);
                }

                Changed?.Invoke(this, result);
            }
        });
    }

    /// <summary>The mapper for <paramref name="columns"/> (a new one after a schema change moved them).</summary>
    private RowMapper<T> MapperFor(string[] columns)
    {
        RowMapper<T> mapper = _mapper;
        if (!mapper.Fits(columns))
        {
            _mapper = mapper = RowMapper<T>.Create(columns, Sql);
        }

        return mapper;
    }

    /// <summary>Makes <paramref name="result"/> current unless a newer one is already.</summary>
    private void SetCurrent(IReadOnlyList<T> result, long number)
    {
        lock (_subscribers)
        {
            if (number > _currentNumber)
            {
                _currentNumber = number;
                Volatile.Write(ref _current, result);
            }
        }
    }

    /// <summary>Maps the result that arrived while nobody watched (a mismatch leaves the previous result: nobody hears Failed).</summary>
    private void MapUnmapped()
    {
        lock (_subscribers)
        {
            if (_unmapped is null)
            {
                return;
            }

            try
            {
                SetCurrent(MapperFor(_unmappedColumns!).MapAll(_unmapped), _resultNumber);
            }
            catch (SqlSyncException)
            {
                // the query keeps its last mapped result; a watcher would have heard Failed
            }

            _unmapped = null;
        }
    }

    void ILiveQuery.CloseLocked()
    {
        lock (_subscribers)
        {
            _closed = true; // read by Deliver under this lock
        }

        _statement?.Dispose();
        _statement = null;
    }

    void ILiveQuery.Complete()
    {
        IObserver<IReadOnlyList<T>>[] all;
        lock (_subscribers)
        {
            all = _observers.Concat(_newObservers).ToArray();
            _observers.Clear();
            _newObservers.Clear();
        }

        Post(() =>
        {
            foreach (IObserver<IReadOnlyList<T>> observer in all)
            {
                observer.OnCompleted();
            }
        });
    }

    private void ComputeTables()
    {
        _tables = _registry.TablesOf(_registry.Database.Connection.ReadRootPages(Sql, _args));
        _tablesKnown = true;
        _registry.TablesChanged(this); // a query not added yet (the constructor's first plan) is indexed by Add
    }

    private (string[] Columns, List<object?[]> Rows) Run()
    {
        Storage.ReducerSandbox sandbox = _registry.Database.Sandbox;
        bool budgeted = sandbox.BeginRead(_registry.Limits.MaxVmStepsPerQuery);
        try
        {
            Interlocked.Increment(ref _runCount);
            return _registry.Database.Connection.RunRead(_statement!, _args, Sql);
        }
        catch (SqlSyncException ex) when (sandbox.ReadOverBudget)
        {
            throw new SqlSyncException(SqlSyncErrorCode.QueryOverBudget,
                $"Document '{_document.DocumentId}': the live query ran over {_registry.Limits.MaxVmStepsPerQuery:N0} SQLite VM steps (MutationLimits.MaxVmStepsPerQuery) and was stopped (in: {Storage.SqliteResult.Abbreviate(Sql)}).", ex);
        }
        finally
        {
            if (budgeted)
            {
                sandbox.EndRead();
            }
        }
    }

    /// <summary>Runs subscriber code on the context, or here; an exception is rethrown unhandled on the thread pool.</summary>
    private void Post(Action action)
    {
        if (_context is not null)
        {
            _context.Post(static state => ((Action)state!)(), action);
            return;
        }

        try
        {
            action();
        }
        catch (Exception ex)
        {
            var captured = ExceptionDispatchInfo.Capture(ex);
            ThreadPool.UnsafeQueueUserWorkItem(static state => ((ExceptionDispatchInfo)state!).Throw(), captured);
        }
    }

    private void Unsubscribe(IObserver<IReadOnlyList<T>> observer)
    {
        lock (_subscribers)
        {
            _observers.Remove(observer);
            _newObservers.Remove(observer);
        }
    }

    private sealed class Unsubscriber(LiveQuery<T> query, IObserver<IReadOnlyList<T>> observer) : IDisposable
    {
        public void Dispose() => query.Unsubscribe(observer);
    }

    private sealed class ChannelObserver(ChannelWriter<IReadOnlyList<T>> writer) : IObserver<IReadOnlyList<T>>
    {
        public void OnCompleted() => writer.TryComplete();

        public void OnError(Exception error) => writer.TryComplete(error);

        public void OnNext(IReadOnlyList<T> value) => writer.TryWrite(value);
    }
}
