using SQLitePCL;

namespace SqlSync.Storage;

/// <summary>
/// The one gate from SQLite result codes to <see cref="SqlSyncException"/>. It trusts
/// <c>sqlite3_errmsg</c> only when <c>sqlite3_errcode</c> reports the same failure (the message may be
/// stale otherwise, e.g. "not an error" after a call that does not set it), and puts the primary and
/// extended result codes on the exception as properties.
/// </summary>
internal static class SqliteResult
{
    /// <summary>True for the codes that are not failures (OK, ROW, DONE).</summary>
    public static bool IsSuccess(int rc) => rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE;

    /// <summary>
    /// The exception for a failed call that returned <paramref name="rc"/> on <paramref name="db"/>.
    /// <paramref name="scope"/> (e.g. "Document 'notes': ") starts the message; <paramref name="sql"/>,
    /// when given, ends it.
    /// </summary>
    public static SqlSyncException Failure(int rc, sqlite3? db, string scope, string? sql)
    {
        int primary = rc & 0xFF;
        int extended = rc;
        string detail;
        if (db is not null && !db.IsInvalid && (raw.sqlite3_errcode(db) & 0xFF) == primary)
        {
            detail = raw.sqlite3_errmsg(db).utf8_to_string();
            extended = raw.sqlite3_extended_errcode(db);
        }
        else
        {
            detail = raw.sqlite3_errstr(rc).utf8_to_string();
        }

        string? refused = ReducerSandbox.TakeLastRefusal();
        if (primary == raw.SQLITE_AUTH && refused is not null)
        {
            detail = $"{detail}: {refused}";
        }

        // A VFS callback that caught a managed exception returned an I/O error for it: that exception is the cause.
        Exception? recorded = Vfs.PageVfs.TakeCallbackError();
        Exception? cause = primary is raw.SQLITE_IOERR or raw.SQLITE_CANTOPEN or raw.SQLITE_FULL ? recorded : null;
        string because = cause is null ? "" : $" (the VFS failed: {cause.GetType().Name}: {cause.Message})";
        string where = sql is null ? "" : ", in: " + Abbreviate(sql);
        if (cause is SqlSyncException { Code: SqlSyncErrorCode.CheckpointCorrupt } corrupt)
        {
            // A checkpoint page read on demand failed its hash: that is the error, not SQLite's I/O error around it.
            return new SqlSyncException(SqlSyncErrorCode.CheckpointCorrupt, $"{corrupt.Message} (read by {scope.TrimEnd(':', ' ')}{where}).", corrupt);
        }

        return new SqlSyncException(SqlSyncErrorCode.Sqlite, $"{scope}{detail}{because} ({SqliteResultCodes.Name(extended)}{where}).", cause)
        {
            SqliteResultCode = primary,
            SqliteExtendedResultCode = extended,
        };
    }

    /// <summary>SQL text shortened for a one-line message.</summary>
    public static string Abbreviate(string sql)
    {
        ReadOnlySpan<char> trimmed = sql.AsSpan().Trim();
        return trimmed.Length <= 200 ? trimmed.ToString() : string.Concat(trimmed[..200], "…");
    }
}
