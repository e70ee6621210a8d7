using SQLitePCL;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using SqlSync.Storage.Checkpoints;
using SqlSync.Storage.Vfs;

namespace SqlSync.Documents;

/// <summary>
/// What the local and coordinator documents share: page storage over a storage journal, its file in the
/// page VFS, the writer connection and the mutation applier.
/// </summary>
/// <remarks>
/// The writer may keep its SQLite lock between transactions (<see cref="BeginKeepingLock"/>): SQLite in
/// <c>locking_mode=EXCLUSIVE</c> skips the lock/unlock cycle and the change-counter check of every
/// transaction, which is most of the page VFS's cost per transaction. It hands the lock over to readers on
/// demand: a reader that finds the file locked asks (<see cref="PageFile.HandOver"/>) and the writer, when
/// idle, switches to <c>locking_mode=NORMAL</c> and touches the file, which releases it. Everything here
/// runs under <see cref="DocumentLock"/>, which the owning document holds around every use of the writer.
/// </remarks>
internal sealed class DocumentDatabase : IDisposable
{
    // Pragmas act when prepared, so these run through sqlite3_exec, never the statement cache. Touching
    // the file after the switch to NORMAL ends a read transaction, which drops the lock.
    private const string KeepLockSql = "PRAGMA locking_mode=EXCLUSIVE";
    private const string ReleaseLockSql = "PRAGMA locking_mode=NORMAL; SELECT 1 FROM sqlite_schema LIMIT 0;";

    private const int SQLITE_BUSY = 5;

    private readonly TimeSpan _drainTimeout;
    private readonly MutationLimits _limits;
    private bool _keepsLock;
    private bool _holding;
    private bool _disposed;

    /// <summary>Opens the database over <paramref name="storageJournal"/>, which it owns from here on, also when it throws.</summary>
    /// <remarks>The view opens from the newest usable checkpoint in <c>checkpoints</c> (null: none) plus the journal after it;
    /// <c>warning</c> is told what opening passed over (a corrupt checkpoint, naming its file).</remarks>
    public DocumentDatabase(string documentId, string role, CheckpointStore? checkpoints, Action<string>? warning, IJournal storageJournal, IMutationReducer reducer,
        TimeSpan drainTimeout, int statementCacheSize, MutationLimits limits, long pageCacheBytes)
    {
        DocumentId = documentId;
        _drainTimeout = drainTimeout;
        _limits = limits;
        FileName = DocumentIds.NewFileName(documentId, role);
        bool registered = false;
        try
        {
            limits.Validate();
            ValidatePageCacheBytes(documentId, pageCacheBytes);

            // Only a document with files rests its view on a checkpoint file; one in memory keeps every page (decision 0026).
            Storage = CheckpointStore.OpenStorage(documentId, storageJournal, checkpoints, warning, checkpoints is null ? null : pageCacheBytes);
            File = PageVfs.Register(FileName, Storage);
            registered = true;
            Connection = DatabaseConnection.Open(PageVfs.WriterUri(File), readOnly: false, documentId, statementCacheSize, drainTimeout);
            Sandbox = new ReducerSandbox(Connection.Handle, Storage);
            Applier = new MutationApplier(Connection, Sandbox, reducer, limits);

            // No single value may be larger than a mutation may write: SQLite's own limit (1e9 bytes) lets a
            // reducer build a 1 GB zeroblob() in memory before any page budget sees it.
            raw.sqlite3_limit(Connection.Handle, raw.SQLITE_LIMIT_LENGTH,
                (int)Math.Min(int.MaxValue, (long)limits.MaxPagesPerMutation * StorageFormat.PageSize));
            File.HandOver = HandOverIfIdle;
        }
        catch
        {
            // A failed open lets go of everything it took, the journal's lock file first of all.
            Sandbox?.Dispose();
            Connection?.Dispose();
            if (registered)
            {
                PageVfs.Unregister(FileName);
            }

            storageJournal.Dispose();
            throw;
        }
    }

    public string DocumentId { get; }

    /// <summary>Checks an option before anything is opened.</summary>
    public static void ValidateStatementCacheSize(string documentId, int statementCacheSize)
    {
        if (statementCacheSize < 0)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Document '{documentId}': the statement cache size must be 0 (off) or more, not {statementCacheSize}.");
        }
    }

    private static void ValidatePageCacheBytes(string documentId, long pageCacheBytes)
    {
        if (pageCacheBytes < StorageFormat.PageSize)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Document '{documentId}': the page cache must hold at least one page ({StorageFormat.PageSize} bytes), not {pageCacheBytes} bytes.");
        }
    }

    /// <summary>
    /// Rests the committed view on the checkpoint just written at <paramref name="path"/> from <paramref name="snapshot"/>
    /// (decision 0026), so the pages it covers leave memory. Opening the file (header and hash table) happens before
    /// the hold; the switch itself is reference comparisons under the same hold as a step. When readers do not let go
    /// or the file cannot be opened, the view stays on its current file, which is just as right, and the next
    /// checkpoint tries again. Under the owning document's lock.
    /// </summary>
    public void SwitchToCheckpoint(string path, PageSnapshot snapshot, Action<string>? warning)
    {
        if (Storage.PageCache is null)
        {
            return;
        }

        try
        {
            using CheckpointFile file = CheckpointFile.Open(path, CheckpointStore.LabelOf(path));
            WithFileHeld(() =>
            {
                Storage.SwitchToCheckpoint(file, snapshot);
                return true;
            });
        }
        catch (Exception e) when (e is SqlSyncException or IOException or UnauthorizedAccessException)
        {
            warning?.Invoke($"Document '{DocumentId}': the view stays on its previous checkpoint, not {CheckpointStore.LabelOf(path)} ({e.Message}).");
        }
    }

    /// <summary>The owning document's lock: held around every use of <see cref="Connection"/>.</summary>
    public object DocumentLock { get; } = new();

    /// <summary>True while the writer keeps its SQLite lock between transactions (for tests).</summary>
    internal bool KeepsLock => _keepsLock;

    public string FileName { get; }

    public PageStorage Storage { get; }

    public PageFile File { get; }

    public DatabaseConnection Connection { get; }

    public MutationApplier Applier { get; }

    /// <summary>The writer connection's authorizer and budgets; the engine's transaction statements run through it.</summary>
    public ReducerSandbox Sandbox { get; }

    /// <summary>An ADO.NET (Microsoft.Data.Sqlite) connection string for read-only access to the current state.</summary>
    public string ReadOnlyConnectionString => $"Data Source=file:{FileName}?vfs={PageVfs.Name};Mode=ReadOnly;Pooling=False";

    /// <summary>
    /// Runs <paramref name="action"/> with every other connection kept out of the file, so it may change
    /// pages under SQLite; the document's own writer connection stays usable inside.
    /// </summary>
    public T WithFileHeld<T>(Func<T> action)
    {
        if (_holding)
        {
            return action(); // inside a hold already (a coordinator step publishing its pages)
        }

        Hold();
        try
        {
            // The action changes pages under SQLite: a writer that keeps its lock never looks at the change
            // counter, so it must let go now and see the counter (and schema cookie) again at its next access.
            ReleaseKeptLock();
            return action();
        }
        finally
        {
            Unhold();
        }
    }

    /// <summary>
    /// Keeps every other connection out of the file until the result is disposed, waiting at most the drain
    /// timeout for readers to end their read transactions; then <see cref="SqlSyncErrorCode.DocumentBusy"/>,
    /// with nothing changed. A coordinator step holds the file from before its transaction to after it
    /// published its pages, so no reader can stop it half way.
    /// </summary>
    public FileHold HoldFile()
    {
        Hold();
        return new FileHold(this);
    }

    private void Hold()
    {
        if (!File.Lock.TryHold(File.EngineWriter, _drainTimeout))
        {
            throw Busy("the write");
        }

        _holding = true;
    }

    private void Unhold()
    {
        _holding = false;
        File.Lock.Release();
    }

    /// <summary>A hold taken with <see cref="HoldFile"/>; disposing it lets readers in again.</summary>
    public readonly struct FileHold(DocumentDatabase database) : IDisposable
    {
        public void Dispose() => database.Unhold();
    }

    /// <summary>
    /// Begins a write transaction (<c>BEGIN EXCLUSIVE</c>): every lock it needs is taken here, before the
    /// reducer runs or anything is journaled, so a reader holding a read transaction can only make this
    /// wait (at most the drain timeout, SQLite's busy timeout on the writer) and then fail with
    /// <see cref="SqlSyncErrorCode.DocumentBusy"/>; never a COMMIT after the journal append.
    /// </summary>
    public void BeginWrite()
    {
        try
        {
            Sandbox.Begin();
        }
        catch (SqlSyncException ex) when (ex.SqliteResultCode == SQLITE_BUSY)
        {
            // In locking_mode=EXCLUSIVE a failed BEGIN keeps SHARED and PENDING (no new reader could start):
            // the switch to NORMAL and a touch let go of both.
            ReleaseKeptLock();
            throw Busy("the mutation", ex);
        }
    }

    private SqlSyncException Busy(string what, Exception? inner = null) => new(SqlSyncErrorCode.DocumentBusy,
        $"Document '{DocumentId}': a reader holds a read transaction (a connection on ReadOnlyConnectionString); {what} waited {_drainTimeout.TotalSeconds:0.###} s (ReaderDrainTimeout) and changed nothing. Try again once the reader ends its transaction.",
        inner);

    /// <summary>
    /// Before a write transaction (under the document lock): lets the writer keep its lock from now on,
    /// unless readers are waiting for it. Then a tight run of mutations pays no lock cycle each.
    /// </summary>
    public void BeginKeepingLock()
    {
        if (!_keepsLock && File.Lock.ReadersWaiting == 0)
        {
            Sandbox.RunEngineScript(KeepLockSql);
            _keepsLock = true;
        }
    }

    /// <summary>
    /// After a transaction (under the document lock): hands the lock over if a reader is waiting for it (not
    /// inside a transaction still open, as around a <c>Mutate</c> nested in a reducer, which fails).
    /// </summary>
    public void HandOverIfAsked()
    {
        if (_keepsLock && File.Lock.ReadersWaiting > 0 && !Connection.InTransaction)
        {
            ReleaseKeptLock();
        }
    }

    /// <summary>Makes the writer give up a lock it keeps; it takes SQLite's usual lock per transaction until <see cref="BeginKeepingLock"/>.</summary>
    private void ReleaseKeptLock()
    {
        if (_keepsLock)
        {
            _keepsLock = false;
            Sandbox.RunEngineScript(ReleaseLockSql);
        }
    }

    /// <summary>
    /// <see cref="PageFile.HandOver"/>, on a reader's thread: releases the kept lock if the document is idle.
    /// Never waits for the document lock (the reader retries); never inside a transaction of the writer
    /// (a reader opened on the document's own thread while it mutates must not end that transaction).
    /// </summary>
    private void HandOverIfIdle()
    {
        if (!Volatile.Read(ref _keepsLock) || !Monitor.TryEnter(DocumentLock))
        {
            return;
        }

        try
        {
            if (!_disposed && !Connection.InTransaction)
            {
                ReleaseKeptLock();
            }
        }
        finally
        {
            Monitor.Exit(DocumentLock);
        }
    }

    /// <summary>
    /// The read API's query (<see cref="DatabaseConnection.QueryReadOnly"/>) within
    /// <see cref="MutationLimits.MaxVmStepsPerQuery"/>: a runaway read would hold the document lock forever.
    /// </summary>
    public List<object?[]> QueryReadOnly(string sql, ReadOnlySpan<object?> args)
    {
        bool budgeted = Sandbox.BeginRead(_limits.MaxVmStepsPerQuery);
        try
        {
            return Connection.QueryReadOnly(sql, args);
        }
        catch (SqlSyncException ex) when (Sandbox.ReadOverBudget)
        {
            throw ReadOverBudget(sql, ex);
        }
        finally
        {
            if (budgeted)
            {
                Sandbox.EndRead();
            }
        }
    }

    /// <summary><see cref="DatabaseConnection.QueryScalarReadOnly{T}"/> within the read budget, as <see cref="QueryReadOnly"/>.</summary>
    public T? QueryScalarReadOnly<T>(string sql, ReadOnlySpan<object?> args)
    {
        bool budgeted = Sandbox.BeginRead(_limits.MaxVmStepsPerQuery);
        try
        {
            return Connection.QueryScalarReadOnly<T>(sql, args);
        }
        catch (SqlSyncException ex) when (Sandbox.ReadOverBudget)
        {
            throw ReadOverBudget(sql, ex);
        }
        finally
        {
            if (budgeted)
            {
                Sandbox.EndRead();
            }
        }
    }

    private SqlSyncException ReadOverBudget(string sql, SqlSyncException interrupted) => new(SqlSyncErrorCode.QueryOverBudget,
        $"Document '{DocumentId}': the query ran over {_limits.MaxVmStepsPerQuery:N0} SQLite VM steps, the read budget (MutationLimits.MaxVmStepsPerQuery), and was stopped (in: {SqliteResult.Abbreviate(sql)}).",
        interrupted);

    /// <summary>The applied LSN of <paramref name="timeline"/> recorded in the document, or null.</summary>
    public Lsn? ReadAppliedLsn(TimelineId timeline)
    {
        if (Connection.QueryScalar<long>(SystemTables.ExistsSql, ReadOnlySpan<object?>.Empty) == 0)
        {
            return null;
        }

        List<object?[]> rows = Connection.Query(SystemTables.AppliedLsnSql, new object?[] { timeline.ToString() });
        return rows.Count == 0 ? null : new Lsn((ulong)(long)rows[0][0]!);
    }

    /// <summary>Idempotent: a coordinator's reload that failed half-way disposes what it holds again on the next try.</summary>
    public void Dispose()
    {
        lock (DocumentLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            File.HandOver = null;
        }

        Sandbox.Dispose();
        Connection.Dispose();
        PageVfs.Unregister(FileName);
        Storage.Dispose();
    }
}
