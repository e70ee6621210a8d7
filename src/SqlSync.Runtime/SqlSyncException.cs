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
    }

    /// <summary>What went wrong.</summary>
    public SqlSyncErrorCode Code { get; }
}
