using System.Globalization;
using SQLitePCL;

namespace SqlSync.Storage;

/// <summary>Values in and out: the binding rules of <see cref="Mutations.IMutationContext"/>.</summary>
internal sealed partial class DatabaseConnection
{
    private void Bind(sqlite3_stmt statement, int index, object? value, string sql)
    {
        int rc = value switch
        {
            null or DBNull => raw.sqlite3_bind_null(statement, index),
            bool b => raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
            // Integers, the most common argument, skip SQLitePCLRaw's dispatch (see SqliteVfsInterop).
            long l => Vfs.SqliteVfsInterop.BindInt64(statement.DangerousGetHandle(), index, l),
            int i => Vfs.SqliteVfsInterop.BindInt64(statement.DangerousGetHandle(), index, i),
            string s => BindText(statement, index, s),
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
                $"{Scope}Parameter {index} has type {value.GetType()}, which SqlSync cannot bind (in: {SqliteResult.Abbreviate(sql)})."),
        };

        if (rc != raw.SQLITE_OK)
        {
            throw SqliteResult.Failure(rc, _db, Scope, sql);
        }
    }

    /// <summary>
    /// Binds a string as SQLitePCLRaw's <c>sqlite3_bind_text(string)</c> does (UTF-8 by
    /// <see cref="System.Text.Encoding.UTF8"/>, NUL-terminated, length -1 so the text ends at its first NUL,
    /// copied by SQLite), but encoded on the stack when short: no array per bound string.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // only the bytes encoded and the NUL after them are read
    private static unsafe int BindText(sqlite3_stmt statement, int index, string value)
    {
        const int StackChars = 256;
        if (value.Length > StackChars)
        {
            return raw.sqlite3_bind_text(statement, index, value);
        }

        Span<byte> utf8 = stackalloc byte[(StackChars * 3) + 1];
        int length = System.Text.Encoding.UTF8.GetBytes(value, utf8);
        utf8[length] = 0;
        fixed (byte* text = utf8)
        {
            return Vfs.SqliteVfsInterop.BindText(statement.DangerousGetHandle(), index, text, -1, new IntPtr(-1));
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
}
