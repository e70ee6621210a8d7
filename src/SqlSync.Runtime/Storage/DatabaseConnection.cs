using System.Globalization;
using SQLitePCL;
using SqlSync.Storage.Vfs;

namespace SqlSync.Storage;

/// <summary>
/// A SQLite connection through the page VFS, with a prepared-statement cache and the value binding rules
/// of <see cref="Mutations.IMutationContext"/>. Every SQLite failure becomes a <see cref="SqlSyncException"/>.
/// </summary>
internal sealed class DatabaseConnection : IDisposable
{
    private const int SQLITE_ROW = 100;
    private const int SQLITE_DONE = 101;
    private const int SQLITE_UTF8 = 1;

    private readonly sqlite3 _db;
    private readonly Dictionary<string, sqlite3_stmt> _statements = new(StringComparer.Ordinal);

    private DatabaseConnection(sqlite3 db)
    {
        _db = db;
    }

    /// <summary>
    /// Opens <paramref name="fileName"/> (registered with <see cref="PageVfs"/>; a <c>file:</c> URI may carry
    /// parameters, such as the writer secret of <see cref="PageVfs.WriterUri"/>). Without that secret a
    /// read-write open is read-only.
    /// </summary>
    public static DatabaseConnection Open(string fileName, bool readOnly)
    {
        PageVfs.EnsureRegistered();
        int flags = (readOnly ? raw.SQLITE_OPEN_READONLY : raw.SQLITE_OPEN_READWRITE) | raw.SQLITE_OPEN_URI | raw.SQLITE_OPEN_NOMUTEX;
        PageVfs.TakeCallbackError(); // an error left over from another connection on this thread is not this open's
        int rc = raw.sqlite3_open_v2(fileName, out sqlite3 db, flags, PageVfs.Name);
        if (rc != raw.SQLITE_OK)
        {
            string message = db is null ? $"error {rc}" : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            Exception? cause = PageVfs.TakeCallbackError();
            string name = fileName.Split('?')[0]; // never the writer secret
            throw new SqlSyncException(SqlSyncErrorCode.Vfs,
                $"Could not open '{name}' through the {PageVfs.Name} VFS: {message}{CauseSuffix(cause)}.", cause);
        }

        var connection = new DatabaseConnection(db);
        raw.sqlite3_busy_timeout(db, 30_000);
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

    /// <summary>Rolls back the open transaction, if SQLite has not already done so.</summary>
    public void RollbackIfActive()
    {
        if (InTransaction)
        {
            ExecuteScript("ROLLBACK");
        }
    }

    /// <summary>Rows changed by the last statement.</summary>
    public int Changes => raw.sqlite3_changes(_db);

    /// <summary>Runs one or more statements without parameters.</summary>
    public void ExecuteScript(string sql)
    {
        int rc = raw.sqlite3_exec(_db, sql, out string? error);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqlSyncException(SqlSyncErrorCode.Sqlite, $"SQLite error {rc}: {error ?? "unknown"} (in: {Abbreviate(sql)}).");
        }
    }

    /// <summary>Runs a statement and returns the rows it changed.</summary>
    public int Execute(string sql, ReadOnlySpan<object?> args)
    {
        sqlite3_stmt statement = Prepare(sql, args);
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == SQLITE_ROW)
            {
            }

            if (rc != SQLITE_DONE)
            {
                throw Failure(rc, sql);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>Runs a query and returns every row.</summary>
    public List<object?[]> Query(string sql, ReadOnlySpan<object?> args)
    {
        sqlite3_stmt statement = Prepare(sql, args);
        try
        {
            var rows = new List<object?[]>();
            int columns = raw.sqlite3_column_count(statement);
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == SQLITE_ROW)
            {
                var row = new object?[columns];
                for (int i = 0; i < columns; i++)
                {
                    row[i] = ReadColumn(statement, i);
                }

                rows.Add(row);
            }

            if (rc != SQLITE_DONE)
            {
                throw Failure(rc, sql);
            }

            return rows;
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>The first column of the first row converted to <typeparamref name="T"/>, or default.</summary>
    public T? QueryScalar<T>(string sql, ReadOnlySpan<object?> args)
    {
        sqlite3_stmt statement = Prepare(sql, args);
        try
        {
            int rc = raw.sqlite3_step(statement);
            if (rc == SQLITE_DONE)
            {
                return default;
            }

            if (rc != SQLITE_ROW)
            {
                throw Failure(rc, sql);
            }

            return ConvertTo<T>(ReadColumn(statement, 0));
        }
        finally
        {
            raw.sqlite3_reset(statement);
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
            throw Failure(rc, "create_function(random)");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (sqlite3_stmt statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        _db.Dispose();
    }

    private sqlite3_stmt Prepare(string sql, ReadOnlySpan<object?> args)
    {
        if (!_statements.TryGetValue(sql, out sqlite3_stmt? statement))
        {
            int rc = raw.sqlite3_prepare_v2(_db, sql, out statement);
            if (rc != raw.SQLITE_OK)
            {
                throw Failure(rc, sql);
            }

            _statements.Add(sql, statement);
        }
        else
        {
            raw.sqlite3_clear_bindings(statement);
        }

        int parameters = raw.sqlite3_bind_parameter_count(statement);
        if (args.Length != parameters)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"The statement takes {parameters} parameter(s) but {args.Length} were given (in: {Abbreviate(sql)}).");
        }

        for (int i = 0; i < args.Length; i++)
        {
            Bind(statement, i + 1, args[i], sql);
        }

        return statement;
    }

    private void Bind(sqlite3_stmt statement, int index, object? value, string sql)
    {
        int rc = value switch
        {
            null or DBNull => raw.sqlite3_bind_null(statement, index),
            bool b => raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
            long l => raw.sqlite3_bind_int64(statement, index, l),
            int i => raw.sqlite3_bind_int64(statement, index, i),
            string s => raw.sqlite3_bind_text(statement, index, s),
            double d => raw.sqlite3_bind_double(statement, index, d),
            byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
            ReadOnlyMemory<byte> memory => raw.sqlite3_bind_blob(statement, index, memory.Span),
            short or sbyte or byte or ushort or uint => raw.sqlite3_bind_int64(statement, index, Convert.ToInt64(value, CultureInfo.InvariantCulture)),
            ulong ul when ul <= long.MaxValue => raw.sqlite3_bind_int64(statement, index, (long)ul),
            float f => raw.sqlite3_bind_double(statement, index, f),
            decimal m => raw.sqlite3_bind_text(statement, index, m.ToString(CultureInfo.InvariantCulture)),
            Guid g => raw.sqlite3_bind_text(statement, index, g.ToString("D")),
            DateTime dt => raw.sqlite3_bind_text(statement, index, SqlValueFormat.Format(dt)),
            DateTimeOffset dto => raw.sqlite3_bind_text(statement, index, SqlValueFormat.Format(dto.UtcDateTime)),
            DateOnly date => raw.sqlite3_bind_text(statement, index, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            TimeOnly time => raw.sqlite3_bind_text(statement, index, time.ToString("HH:mm:ss.fffffff", CultureInfo.InvariantCulture)),
            TimeSpan span => raw.sqlite3_bind_int64(statement, index, span.Ticks),
            Enum e => raw.sqlite3_bind_int64(statement, index, Convert.ToInt64(e, CultureInfo.InvariantCulture)),
            _ => throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Parameter {index} has type {value.GetType()}, which SqlSync cannot bind (in: {Abbreviate(sql)})."),
        };

        if (rc != raw.SQLITE_OK)
        {
            throw Failure(rc, sql);
        }
    }

    private static object? ReadColumn(sqlite3_stmt statement, int index) => raw.sqlite3_column_type(statement, index) switch
    {
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, index),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, index),
        raw.SQLITE_TEXT => raw.sqlite3_column_text(statement, index).utf8_to_string(),
        raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, index).ToArray(),
        _ => null,
    };

    private static T? ConvertTo<T>(object? value)
    {
        if (value is null)
        {
            return default;
        }

        if (value is T typed)
        {
            return typed;
        }

        Type target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }

    private SqlSyncException Failure(int rc, string sql)
    {
        Exception? cause = VfsCause(rc);
        return new(SqlSyncErrorCode.Sqlite,
            $"SQLite error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}{CauseSuffix(cause)} (in: {Abbreviate(sql)}).", cause);
    }

    /// <summary>The exception a VFS callback recorded, when <paramref name="rc"/> is the I/O error it returned for it.</summary>
    private static Exception? VfsCause(int rc)
    {
        Exception? recorded = PageVfs.TakeCallbackError();
        return (rc & 0xFF) is raw.SQLITE_IOERR or raw.SQLITE_CANTOPEN ? recorded : null;
    }

    private static string CauseSuffix(Exception? cause) => cause is null ? string.Empty : $" (the VFS failed: {cause.GetType().Name}: {cause.Message})";

    private static string Abbreviate(string sql) => sql.Length <= 200 ? sql : string.Concat(sql.AsSpan(0, 200), "…");
}
