using SQLitePCL;

namespace SqlSync.Benchmarks;

/// <summary>
/// The baseline: raw SQLite through SQLitePCLRaw doing the same SQL as the engine's mutations, one
/// transaction per statement (BEGIN; INSERT; COMMIT, each a prepared statement reused for every row).
/// </summary>
internal sealed class RawSqlite : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _insert;
    private readonly sqlite3_stmt _commit;

    static RawSqlite() => Batteries_V2.Init();

    private RawSqlite(sqlite3 db)
    {
        _db = db;
        Exec("PRAGMA page_size=4096");
        Exec(BenchMutations.CreateTableSql);
        _begin = Prepare("BEGIN");
        _insert = Prepare(BenchMutations.InsertSql);
        _commit = Prepare("COMMIT");
    }

    /// <summary>An in-memory database (":memory:"), SQLite's defaults.</summary>
    public static RawSqlite OpenInMemory() => new(Open(":memory:"));

    /// <summary>A file database in WAL mode with synchronous=FULL (an fsync of the WAL at every commit).</summary>
    public static RawSqlite OpenWalFull(string path)
    {
        var raw = new RawSqlite(Open(path));
        raw.Exec("PRAGMA journal_mode=WAL");
        raw.Exec("PRAGMA synchronous=FULL");
        return raw;
    }

    /// <summary>A database through <paramref name="vfs"/> (null: the default), with <paramref name="pragmas"/> run first.</summary>
    public static RawSqlite OpenWith(string path, string? vfs, params string[] pragmas)
    {
        int rc = raw.sqlite3_open_v2(path, out sqlite3 db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE | raw.SQLITE_OPEN_URI | raw.SQLITE_OPEN_NOMUTEX, vfs);
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"sqlite3_open_v2({path}, vfs {vfs}) failed: {rc}");
        }

        foreach (string pragma in pragmas)
        {
            raw.sqlite3_exec(db, pragma);
        }

        return new RawSqlite(db);
    }

    /// <summary>One transaction holding one single-row INSERT.</summary>
    public void InsertInOwnTransaction(long id, string value)
    {
        Step(_begin);
        raw.sqlite3_bind_int64(_insert, 1, id);
        raw.sqlite3_bind_text(_insert, 2, value);
        Step(_insert);
        Step(_commit);
    }

    public long Count()
    {
        using sqlite3_stmt statement = Prepare("SELECT count(*) FROM t");
        Check(raw.sqlite3_step(statement) == raw.SQLITE_ROW ? raw.SQLITE_OK : raw.SQLITE_ERROR);
        return raw.sqlite3_column_int64(statement, 0);
    }

    public void Dispose()
    {
        _begin.Dispose();
        _insert.Dispose();
        _commit.Dispose();
        _db.Dispose();
    }

    private static sqlite3 Open(string path)
    {
        int rc = raw.sqlite3_open_v2(path, out sqlite3 db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE | raw.SQLITE_OPEN_NOMUTEX, null);
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"sqlite3_open_v2({path}) failed: {rc}");
        }

        return db;
    }

    private void Step(sqlite3_stmt statement)
    {
        int rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE)
        {
            throw new InvalidOperationException($"sqlite3_step failed: {rc} {raw.sqlite3_errmsg(_db).utf8_to_string()}");
        }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out sqlite3_stmt statement));
        return statement;
    }

    private void Exec(string sql) => Check(raw.sqlite3_exec(_db, sql));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"SQLite error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
        }
    }
}
