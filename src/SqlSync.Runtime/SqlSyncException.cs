namespace SqlSync;

/// <summary>
/// The one exception type SqlSync throws for its own failures. <see cref="Code"/> says what went wrong
/// in a form a program can switch on; the message says it for a person.
/// </summary>
public sealed class SqlSyncException : Exception
{
    /// <summary>Creates an exception with an error code and a message.</summary>
    public SqlSyncException(SqlSyncErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        if (innerException is SqlSyncException inner)
        {
            // A failure wrapped by another (a mutation that failed in SQLite) keeps SQLite's codes.
            SqliteResultCode = inner.SqliteResultCode;
            SqliteExtendedResultCode = inner.SqliteExtendedResultCode;
        }
    }

    /// <summary>What went wrong.</summary>
    public SqlSyncErrorCode Code { get; }

    /// <summary>
    /// SQLite's primary result code (e.g. 19, SQLITE_CONSTRAINT) when SQLite reported the failure, here or
    /// in the exception this one wraps; otherwise null.
    /// </summary>
    public int? SqliteResultCode { get; internal init; }

    /// <summary>
    /// SQLite's extended result code (e.g. 2067, SQLITE_CONSTRAINT_UNIQUE) when SQLite reported the
    /// failure; equal to <see cref="SqliteResultCode"/> when SQLite gave no more detail; otherwise null.
    /// </summary>
    public int? SqliteExtendedResultCode { get; internal init; }
}
