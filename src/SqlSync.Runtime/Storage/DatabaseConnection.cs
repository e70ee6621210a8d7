using SQLitePCL;
using SqlSync.Documents;
using SqlSync.Storage.Vfs;

namespace SqlSync.Storage;

/// <summary>
/// A SQLite connection through the page VFS, with a bounded prepared-statement cache and the value binding
/// rules of <see cref="Mutations.IMutationContext"/>. Every SQLite failure becomes a
/// <see cref="SqlSyncException"/> through <see cref="SqliteResult"/>.
/// </summary>
internal sealed partial class DatabaseConnection : IDisposable
{
    private const int SQLITE_ROW = 100;
    private const int SQLITE_DONE = 101;
    private const int SQLITE_UTF8 = 1;

    private readonly sqlite3 _db;
    private readonly StatementCache _statements;
    private readonly string _scope;

    private DatabaseConnection(sqlite3 db, string? documentId, int statementCacheCapacity)
    {
        _db = db;
        _statements = new StatementCache(statementCacheCapacity);
        _scope = documentId is null ? "" : $"Document '{documentId}': ";
    }

    /// <summary>
    /// Opens <paramref name="fileName"/> (registered with <see cref="PageVfs"/>; a <c>file:</c> URI may carry
    /// parameters, such as the writer secret of <see cref="PageVfs.WriterUri"/>; without that secret a
    /// read-write open is read-only). Errors name <paramref name="documentId"/> when given;
    /// <paramref name="statementCacheCapacity"/> bounds the prepared-statement cache (0 turns it off).
    /// </summary>
    public static DatabaseConnection Open(string fileName, bool readOnly,
        string? documentId = null, int statementCacheCapacity = StatementCache.DefaultCapacity, TimeSpan? busyTimeout = null)
    {
        PageVfs.EnsureRegistered();
        int flags = (readOnly ? raw.SQLITE_OPEN_READONLY : raw.SQLITE_OPEN_READWRITE) | raw.SQLITE_OPEN_URI | raw.SQLITE_OPEN_NOMUTEX;
        PageVfs.TakeCallbackError(); // an error left over from another connection on this thread is not this open's
        int rc = raw.sqlite3_open_v2(fileName, out sqlite3 db, flags, PageVfs.Name);
        if (rc != raw.SQLITE_OK)
        {
            SqlSyncException failure = SqliteResult.Failure(rc, db, "", null);
            db?.Dispose();
            string name = fileName.Split('?')[0]; // never the writer secret
            throw new SqlSyncException(SqlSyncErrorCode.Vfs, $"Could not open '{name}' through the {PageVfs.Name} VFS: {failure.Message}", failure.InnerException ?? failure)
            {
                SqliteResultCode = failure.SqliteResultCode,
                SqliteExtendedResultCode = failure.SqliteExtendedResultCode,
            };
        }

        var connection = new DatabaseConnection(db, documentId, statementCacheCapacity);
        // How long a lock waits for other connections (the writer's BEGIN for readers' read transactions).
        raw.sqlite3_busy_timeout(db, (int)Math.Clamp((busyTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds, 0, int.MaxValue));
        if (!readOnly)
        {
            // Durability comes from the journals: the rollback journal only needs to live in memory.
            connection.ExecuteScript("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY; PRAGMA page_size=4096; PRAGMA cache_size=-16384;");
        }

        return connection;
    }

    /// <summary>The SQLitePCL.raw handle, for registering functions in tests and tools.</summary>
    internal sqlite3 Handle => _db;

    /// <summary>True while a transaction is open (SQLite is not in autocommit mode).</summary>
    public bool InTransaction => raw.sqlite3_get_autocommit(_db) == 0;

    /// <summary>
    /// True while a reducer runs: random() then draws from the mutation's deterministic source, and errors
    /// leave the document out (the wrapping error names the document and the mutation).
    /// </summary>
    public bool InReducer { get; set; }

    /// <summary>What the prepared-statement cache has done so far.</summary>
    public StatementCacheStatistics StatementCacheStatistics => _statements.Statistics;

    /// <summary>How messages of this connection's failures start.</summary>
    private string Scope => InReducer ? "" : _scope;

    /// <summary>Runs one or more statements without parameters and without caching them.</summary>
    public void ExecuteScript(string sql)
    {
        int rc = raw.sqlite3_exec(_db, sql, out _);
        if (rc != raw.SQLITE_OK)
        {
            throw SqliteResult.Failure(rc, _db, Scope, sql);
        }
    }

    /// <summary>
    /// Replaces SQLite's <c>random()</c> and <c>randomblob(N)</c> on this connection with functions that draw
    /// from <paramref name="source"/>; they are not flagged deterministic, so SQLite calls them every time.
    /// </summary>
    public void RegisterRandomFunctions(Func<ulong> source)
    {
        int rc = raw.sqlite3_create_function(_db, "random", 0, SQLITE_UTF8, null,
            (ctx, _, _) => raw.sqlite3_result_int64(ctx, unchecked((long)source())));
        if (rc == raw.SQLITE_OK)
        {
            rc = raw.sqlite3_create_function(_db, "randomblob", 1, SQLITE_UTF8, null, (ctx, _, values) =>
            {
                long length = Math.Clamp(raw.sqlite3_value_int64(values[0]), 1, 1 << 20);
                byte[] bytes = new byte[length];
                for (int i = 0; i < bytes.Length; i += 8)
                {
                    ulong next = source();
                    for (int j = 0; j < 8 && i + j < bytes.Length; j++)
                    {
                        bytes[i + j] = (byte)(next >> (8 * j));
                    }
                }

                raw.sqlite3_result_blob(ctx, bytes);
            });
        }

        if (rc != raw.SQLITE_OK)
        {
            throw SqliteResult.Failure(rc, _db, Scope, null);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _statements.Dispose();
        _db.Dispose();
    }
}
