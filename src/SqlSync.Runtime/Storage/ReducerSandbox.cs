using SQLitePCL;

namespace SqlSync.Storage;

/// <summary>
/// What a reducer may do on a document's writer connection. A SQLite authorizer refuses transaction
/// control, ATTACH/DETACH, <c>load_extension</c> and every PRAGMA outside a read-only allowlist (always:
/// the engine's own transaction statements are prepared and run here, flagged, and never enter the shared
/// statement cache, so a reducer cannot reuse one). A progress handler counts SQLite VM steps and pages
/// added to the pending layer while a reducer runs and interrupts the statement over budget. Every refusal
/// or interruption is recorded, so the caller can name it whatever the reducer did with the exception.
/// </summary>
internal sealed class ReducerSandbox : IDisposable
{
    private const int SQLITE_DENY = 1;
    private const int SQLITE_CREATE_INDEX = 1;
    private const int SQLITE_CREATE_TABLE = 2;
    private const int SQLITE_CREATE_TEMP_INDEX = 3;
    private const int SQLITE_CREATE_TEMP_TABLE = 4;
    private const int SQLITE_CREATE_TEMP_TRIGGER = 5;
    private const int SQLITE_CREATE_TEMP_VIEW = 6;
    private const int SQLITE_CREATE_TRIGGER = 7;
    private const int SQLITE_DELETE = 9;
    private const int SQLITE_DROP_INDEX = 10;
    private const int SQLITE_DROP_TABLE = 11;
    private const int SQLITE_DROP_TRIGGER = 16;
    private const int SQLITE_INSERT = 18;
    private const int SQLITE_UPDATE = 23;
    private const int SQLITE_ALTER_TABLE = 26;

    /// <summary>The prefix of the engine's own tables (<c>__sqlsync_timelines</c>, <c>__sqlsync_rejections</c>).</summary>
    private const string EngineTablePrefix = "__sqlsync_";
    private const int SQLITE_PRAGMA = 19;
    private const int SQLITE_TRANSACTION = 22;
    private const int SQLITE_ATTACH = 24;
    private const int SQLITE_DETACH = 25;
    private const int SQLITE_FUNCTION = 31;
    private const int SQLITE_SAVEPOINT = 32;

    /// <summary>Pragmas that only read, with or without an argument (table_info(t) and friends).</summary>
    private static readonly HashSet<string> ReadPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "collation_list", "function_list", "module_list", "pragma_list",
    };

    /// <summary>Pragmas that read a setting without an argument and change it with one: only the read is allowed.</summary>
    private static readonly HashSet<string> ReadOnlyWithoutArgument = new(StringComparer.OrdinalIgnoreCase)
    {
        "user_version", "application_id", "schema_version", "page_count", "page_size", "freelist_count", "encoding", "foreign_keys",
    };

    private readonly sqlite3 _db;
    private readonly SandboxHooks _hooks;
    private readonly PageStorage _storage;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _savepoint;
    private readonly sqlite3_stmt _rollbackToSavepoint;
    private readonly sqlite3_stmt _releaseSavepoint;
    /// <summary>What the authorizer last refused on this thread, for the error of a read outside a reducer.</summary>
    [ThreadStatic]
    private static string? t_lastRefusal;

    private bool _engine;
    private bool _inReducer;
    private long _stepsLeft;
    private long _maxSteps;
    private int _maxPages;
    private int _pagesAtEnter;
    private string? _violation;
    private SqlSyncErrorCode _violationCode;
    private bool _violationIsPages;
    private bool _inRead;
    private bool _readOverBudget;
    private long _readStepsLeft;

    public ReducerSandbox(sqlite3 db, PageStorage storage)
    {
        _db = db;
        _storage = storage;
        _hooks = Hooks;
        if (_hooks.HasFlag(SandboxHooks.Authorizer))
        {
            Check(raw.sqlite3_set_authorizer(db, Authorize, null), "set_authorizer");
        }

        if (_hooks.HasFlag(SandboxHooks.ProgressHandler))
        {
            raw.sqlite3_progress_handler(db, Documents.MutationLimits.VmStepInterval, Progress, null);
        }

        if (_hooks.HasFlag(SandboxHooks.CommitHook))
        {
            raw.sqlite3_commit_hook(db, CommitHook, null);
        }
        _begin = PrepareEngine("BEGIN EXCLUSIVE"); // every lock up front: see DocumentDatabase.BeginWrite
        _commit = PrepareEngine("COMMIT");
        _rollback = PrepareEngine("ROLLBACK");
        _savepoint = PrepareEngine("SAVEPOINT sqlsync_mutation");
        _rollbackToSavepoint = PrepareEngine("ROLLBACK TO sqlsync_mutation");
        _releaseSavepoint = PrepareEngine("RELEASE sqlsync_mutation");
    }

    /// <summary>The hooks sandboxes opened from now on install: all, except in the engine benchmark's ablation.</summary>
    internal static SandboxHooks Hooks { get; set; } = SandboxHooks.All;

    /// <summary>What the running (or last) reducer did that the sandbox refused or interrupted; null when nothing.</summary>
    public string? Violation => _violation;

    /// <summary>
    /// True when the violation is the page budget: counted as pages added to the pending layer, it can
    /// include pages an earlier mutation of the same transaction left dirty, so it is final only for a
    /// mutation alone in its transaction.
    /// </summary>
    public bool ViolationIsPages => _violationIsPages;

    /// <summary><see cref="SqlSyncErrorCode.MutationRefused"/> or <see cref="SqlSyncErrorCode.MutationOverBudget"/>.</summary>
    public SqlSyncErrorCode ViolationCode => _violationCode;

    /// <summary>
    /// Starts a read through the document's query API with its step budget; false (and no budget of its
    /// own) inside a reducer, whose budget counts the read's steps already.
    /// </summary>
    public bool BeginRead(long maxVmSteps)
    {
        if (_inReducer || _inRead)
        {
            return false;
        }

        _inRead = true;
        _readOverBudget = false;
        _readStepsLeft = maxVmSteps;
        return true;
    }

    /// <summary>True when the read begun with <see cref="BeginRead"/> was stopped by its budget.</summary>
    public bool ReadOverBudget => _inRead && _readOverBudget;

    /// <summary>Ends a read begun with <see cref="BeginRead"/>.</summary>
    public void EndRead() => _inRead = false;

    /// <summary>Starts a reducer's run with its budgets.</summary>
    public void Enter(long maxVmSteps, int maxPages)
    {
        _violation = null;
        _violationIsPages = false;
        _stepsLeft = maxVmSteps;
        _maxSteps = maxVmSteps;
        _maxPages = maxPages;
        _pagesAtEnter = _storage.PendingPageCount;
        _inReducer = true;
    }

    /// <summary>
    /// Ends the reducer's run. With <paramref name="flush"/> (a reducer that succeeded, alone in its
    /// transaction: a local mutation) its dirty pages are flushed into the pending layer first, so the page
    /// budget is checked on the exact count. Returns the violation or null.
    /// </summary>
    public string? Exit(bool flush)
    {
        if (flush && _violation is null && _hooks.HasFlag(SandboxHooks.PageCheck))
        {
            // The flush costs as much as a few statements; it is needed only when the mutation may be near its
            // budget. The pages it would add are among the pages SQLite caches, so pages written so far plus
            // pages cached bound the exact count from above: within the budget, the exact count is too, and
            // the verdict is the same as with the flush on every machine.
            if (_storage.PendingPageCount - _pagesAtEnter + CachedPagesAtMost() > _maxPages)
            {
                FlushCache();
            }

            CheckPages();
        }

        _inReducer = false;
        return _violation;
    }

    /// <summary>Writes SQLite's dirty pages into the pending layer (a no-op when the file is busy).</summary>
    /// <remarks>The result is not checked: a flush that fails leaves the pages in SQLite's cache, to be written
    /// (and counted against the step's budget) at COMMIT, whose failure the caller does see.</remarks>
    public void FlushCache() => _ = Vfs.SqliteVfsInterop.CacheFlush(_db.DangerousGetHandle());

    /// <summary>An upper bound on the pages in the connection's page caches (heap bytes they use over the page size).</summary>
    private unsafe long CachedPagesAtMost()
    {
        int used = 0, highwater = 0;
        int rc = Vfs.SqliteVfsInterop.DbStatus(_db.DangerousGetHandle(), Vfs.SqliteVfsInterop.SQLITE_DBSTATUS_CACHE_USED, &used, &highwater, 0);
        return rc == raw.SQLITE_OK ? used / StorageFormat.PageSize : long.MaxValue / 2; // unknown: flush
    }

    public void Begin() => RunEngine(_begin, "BEGIN");

    public void Commit() => RunEngine(_commit, "COMMIT");

    /// <summary>Rolls back the open transaction, if SQLite has not already done so.</summary>
    public void RollbackIfActive()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            RunEngine(_rollback, "ROLLBACK");
        }
    }

    public void Savepoint() => RunEngine(_savepoint, "SAVEPOINT");

    public void RollbackToSavepoint()
    {
        RunEngine(_rollbackToSavepoint, "ROLLBACK TO");
        RunEngine(_releaseSavepoint, "RELEASE");
    }

    public void ReleaseSavepoint() => RunEngine(_releaseSavepoint, "RELEASE");

    /// <summary>Runs engine SQL that may control the transaction (creating the system tables).</summary>
    public void RunEngineScript(string sql)
    {
        _engine = true;
        try
        {
            int rc = raw.sqlite3_exec(_db, sql, out _);
            if (rc != raw.SQLITE_OK)
            {
                throw SqliteResult.Failure(rc, _db, "", sql);
            }
        }
        finally
        {
            _engine = false;
        }
    }

    /// <summary>
    /// What the authorizer refused on this thread since the last call, or null: SQLite reports only "not
    /// authorized", so the error gate adds what was refused (a read through <c>doc.Query</c> runs on the writer).
    /// </summary>
    public static string? TakeLastRefusal()
    {
        string? refused = t_lastRefusal;
        t_lastRefusal = null;
        return refused;
    }

    public void Dispose()
    {
        _begin.Dispose();
        _commit.Dispose();
        _rollback.Dispose();
        _savepoint.Dispose();
        _rollbackToSavepoint.Dispose();
        _releaseSavepoint.Dispose();
        raw.sqlite3_set_authorizer(_db, (delegate_authorizer?)null, null);
        raw.sqlite3_progress_handler(_db, 0, null, null);
        raw.sqlite3_commit_hook(_db, null, null);
    }

    private sqlite3_stmt PrepareEngine(string sql)
    {
        _engine = true;
        try
        {
            int rc = raw.sqlite3_prepare_v2(_db, sql, out sqlite3_stmt statement);
            Check(rc, sql);
            return statement;
        }
        finally
        {
            _engine = false;
        }
    }

    private void RunEngine(sqlite3_stmt statement, string name)
    {
        _engine = true; // a schema change makes SQLite prepare the statement again, through the authorizer
        try
        {
            // On the raw handle (see SqliteVfsInterop): BEGIN and COMMIT run once per local mutation.
            IntPtr handle = statement.DangerousGetHandle();
            int rc = Vfs.SqliteVfsInterop.Step(handle);
            _ = Vfs.SqliteVfsInterop.Reset(handle);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc, name);
            }
        }
        finally
        {
            _engine = false;
        }
    }

    private void Check(int rc, string what)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE)
        {
            throw SqliteResult.Failure(rc, _db, "", "the engine's " + what);
        }
    }

    private int Authorize(object userData, int action, utf8z first, utf8z second, utf8z database, utf8z trigger)
    {
        if (_engine)
        {
            return raw.SQLITE_OK;
        }

        if (_inReducer && ReducerOnlyRefusal(action, first, second) is string reducerRefusal)
        {
            Record(SqlSyncErrorCode.MutationRefused, reducerRefusal);
            t_lastRefusal = reducerRefusal;
            return SQLITE_DENY;
        }

        string? refused = action switch
        {
            SQLITE_TRANSACTION => $"{first.utf8_to_string()}: a reducer may not control the transaction (the engine commits or rolls back each mutation)",
            SQLITE_SAVEPOINT => $"{SavepointVerb(first.utf8_to_string())} {second.utf8_to_string()}: a reducer may not control the transaction (savepoints included)",
            SQLITE_ATTACH => "ATTACH: a document may not read or write another database",
            SQLITE_DETACH => "DETACH: a document may not read or write another database",
            SQLITE_FUNCTION when string.Equals(second.utf8_to_string(), "load_extension", StringComparison.OrdinalIgnoreCase) =>
                "load_extension(): a reducer may not load native code",
            SQLITE_PRAGMA => RefusedPragma(first.utf8_to_string(), second.utf8_to_string()),
            _ => null,
        };

        if (refused is null)
        {
            return raw.SQLITE_OK;
        }

        Record(SqlSyncErrorCode.MutationRefused, refused);
        t_lastRefusal = refused;
        return SQLITE_DENY;
    }

    /// <summary>
    /// What only a reducer is refused (the engine writes its own tables between reducers): touching the
    /// engine's tables (<c>__sqlsync_*</c>: a mutation that rewrote applied LSNs would stall other timelines,
    /// and a trigger on them would run in the engine's statements, outside every budget), and TEMP objects,
    /// which outlive the mutation on the connection, are not replicated, and would make the next mutation's
    /// result depend on the connection's history.
    /// </summary>
    private static string? ReducerOnlyRefusal(int action, utf8z first, utf8z second)
    {
        switch (action)
        {
            case SQLITE_CREATE_TEMP_INDEX or SQLITE_CREATE_TEMP_TABLE or SQLITE_CREATE_TEMP_TRIGGER or SQLITE_CREATE_TEMP_VIEW:
                return $"CREATE TEMP {first.utf8_to_string()}: temporary objects outlive the mutation on the connection and are not replicated";
        }

        string? table = action switch
        {
            SQLITE_INSERT or SQLITE_DELETE or SQLITE_UPDATE or SQLITE_CREATE_TABLE or SQLITE_DROP_TABLE => first.utf8_to_string(),
            SQLITE_CREATE_INDEX or SQLITE_DROP_INDEX or SQLITE_CREATE_TRIGGER or SQLITE_DROP_TRIGGER or SQLITE_ALTER_TABLE => second.utf8_to_string(),
            _ => null,
        };
        return table is not null && table.StartsWith(EngineTablePrefix, StringComparison.OrdinalIgnoreCase)
            ? $"{table}: the engine's tables are written by the engine only (read them, never change them or hang triggers and indexes on them)"
            : null;
    }

    private static string SavepointVerb(string operation) => operation switch
    {
        "BEGIN" => "SAVEPOINT",
        "RELEASE" => "RELEASE",
        _ => "ROLLBACK TO",
    };

    private static string? RefusedPragma(string name, string? argument)
    {
        if (ReadPragmas.Contains(name) || (argument is null && ReadOnlyWithoutArgument.Contains(name)))
        {
            return null;
        }

        string text = argument is null ? $"PRAGMA {name}" : $"PRAGMA {name}={argument}";
        return string.Equals(name, "writable_schema", StringComparison.OrdinalIgnoreCase)
            ? $"{text}: the schema is changed only through DDL"
            : $"{text}: only read-only pragmas (table_info, index_list, foreign_key_list, user_version...) are allowed";
    }

    /// <summary>
    /// Nothing commits while a reducer runs. An interrupted write makes SQLite roll back the whole
    /// transaction, and a reducer that carries on would then run in autocommit mode: its statements fail here.
    /// </summary>
    private int CommitHook(object userData)
    {
        if (!_inReducer)
        {
            return 0;
        }

        Record(SqlSyncErrorCode.MutationRefused, "a statement tried to commit on its own (the mutation's transaction was already rolled back)");
        return 1;
    }

    private int Progress(object userData)
    {
        if (!_inReducer)
        {
            return _inRead ? ReadProgress() : 0;
        }

        if (_violation is not null)
        {
            return 1; // a reducer that caught the interruption gets no further
        }

        _stepsLeft -= Documents.MutationLimits.VmStepInterval;
        if (_stepsLeft < 0)
        {
            Record(SqlSyncErrorCode.MutationOverBudget, $"the mutation ran over {_maxSteps:N0} SQLite VM steps, its budget (MutationLimits.MaxVmStepsPerMutation)");
            return 1;
        }

        return CheckPages() ? 0 : 1;
    }

    private int ReadProgress()
    {
        _readStepsLeft -= Documents.MutationLimits.VmStepInterval;
        if (_readStepsLeft < 0)
        {
            _readOverBudget = true;
            return 1;
        }

        return 0;
    }

    private bool CheckPages()
    {
        int written = _storage.PendingPageCount - _pagesAtEnter;
        if (written <= _maxPages)
        {
            return true;
        }

        Record(SqlSyncErrorCode.MutationOverBudget,
            $"the mutation wrote over {_maxPages} pages ({_maxPages / 256} MiB), its budget (MutationLimits.MaxPagesPerMutation)", pages: true);
        return false;
    }

    private void Record(SqlSyncErrorCode code, string reason, bool pages = false)
    {
        if (_inReducer && _violation is null)
        {
            _violation = reason;
            _violationCode = code;
            _violationIsPages = pages;
        }
        else if (!_inReducer)
        {
            // Outside a reducer (the read API) the refusal stands but is not a mutation's violation.
            _violation = null;
        }
    }
}
