namespace SqlSync.Documents;

/// <summary>Live queries and typed queries (docs/decisions/0022-live-queries.md).</summary>
public sealed partial class LocalDocument
{
    /// <summary>Created with the first live query; null until then, so a mutation without live queries pays one null check.</summary>
    private LiveQueryRegistry? _live;

    /// <summary>Mutations waiting for the lock, counted only while live queries exist (two interlocked operations each).</summary>
    private int _mutationsWaiting;

    /// <summary>Before a mutation takes the lock: true when it announced itself to the live queries' slices.</summary>
    private bool AnnounceMutation()
    {
        if (Volatile.Read(ref _live) is null)
        {
            return false;
        }

        Interlocked.Increment(ref _mutationsWaiting);
        return true;
    }

    /// <summary>Once the mutation holds the lock.</summary>
    private void MutationEntered(bool announced)
    {
        if (announced)
        {
            Interlocked.Decrement(ref _mutationsWaiting);
            _live!.MutationEntered();
        }
    }

    /// <summary>
    /// A live query over the current state (local changes included): one read-only statement, its rows as
    /// <typeparamref name="T"/> (see <see cref="LiveQuery{T}"/>). Throws at once for a bad query or a type that
    /// does not fit its columns (<see cref="SqlSyncErrorCode.RowMappingMismatch"/>).
    /// </summary>
    public LiveQuery<T> Live<T>(string sql, params object?[] args) => Live<T>(null, sql, args);

    /// <summary>
    /// <see cref="Live{T}(string, object?[])"/> delivering on <paramref name="context"/> (a UI thread's
    /// <see cref="SynchronizationContext.Current"/>), or on the document's refresh thread when null.
    /// </summary>
    public LiveQuery<T> Live<T>(SynchronizationContext? context, string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        args ??= Array.Empty<object?>();
        lock (_sync)
        {
            ThrowIfDisposed();
            _live ??= new LiveQueryRegistry(_sync, _database, _options.Limits, () => Volatile.Read(ref _mutationsWaiting) > 0);
            var query = new LiveQuery<T>(this, _live, sql, (object?[])args.Clone(), context);
            _live.Add(query);
            return query;
        }
    }

    /// <summary>A live query with untyped rows (<c>object?[]</c> per row, SQLite's values).</summary>
    public LiveQuery<object?[]> Live(string sql, params object?[] args) => Live<object?[]>(null, sql, args);

    /// <summary>
    /// Runs a read query once and maps its rows to <typeparamref name="T"/> by column name, as live queries
    /// do (a scalar type for one column). One read-only statement. A mismatch is <see cref="SqlSyncErrorCode.RowMappingMismatch"/>.
    /// </summary>
    public IReadOnlyList<T> Query<T>(string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        args ??= Array.Empty<object?>();
        lock (_sync)
        {
            ThrowIfDisposed();
            using SQLitePCL.sqlite3_stmt statement = _database.Connection.PrepareRead(sql, args.Length);
            bool budgeted = _database.Sandbox.BeginRead(_options.Limits.MaxVmStepsPerQuery);
            (string[] columns, List<object?[]> rows) result;
            try
            {
                result = _database.Connection.RunRead(statement, args, sql);
            }
            catch (SqlSyncException ex) when (_database.Sandbox.ReadOverBudget)
            {
                throw new SqlSyncException(SqlSyncErrorCode.QueryOverBudget,
                    $"Document '{DocumentId}': the query ran over {_options.Limits.MaxVmStepsPerQuery:N0} SQLite VM steps (MutationLimits.MaxVmStepsPerQuery) and was stopped (in: {Storage.SqliteResult.Abbreviate(sql)}).", ex);
            }
            finally
            {
                if (budgeted)
                {
                    _database.Sandbox.EndRead();
                }
            }

            return RowMapper<T>.Create(result.columns, sql).MapAll(result.rows);
        }
    }

    /// <summary>Test hook: how many live queries the marking after changes looked at (it should follow the affected ones).</summary>
    internal long LiveMarkChecksForTesting
    {
        get
        {
            lock (_sync) return _live?.MarkChecks ?? 0;
        }
    }

    /// <summary>Test hook: the live queries' registry (null before the first live query).</summary>
    internal LiveQueryRegistry? LiveRegistryForTesting
    {
        get
        {
            lock (_sync) return _live;
        }
    }

    /// <summary>Under the lock, at disposal: releases the live queries' statements; returns them to complete after the lock.</summary>
    private List<ILiveQuery>? CloseLiveQueries() => _live?.Close();
}
