namespace SqlSync.Replication;

/// <summary>Helpers that build the <see cref="SqlSyncException"/> a protocol violation becomes.</summary>
internal static class ProtocolException
{
    /// <summary>A <see cref="SqlSyncErrorCode.Protocol"/> exception whose data carries the protocol error code.</summary>
    public static SqlSyncException Create(ProtocolErrorCode code, string message)
    {
        var exception = new SqlSyncException(SqlSyncErrorCode.Protocol, $"{code}: {message}");
        exception.Data[nameof(ProtocolErrorCode)] = code;
        return exception;
    }

    /// <summary>The protocol error code of an exception, or <see cref="ProtocolErrorCode.InternalError"/>.</summary>
    public static ProtocolErrorCode CodeOf(Exception exception) =>
        exception.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code ? code
        : exception is SqlSyncException { Code: SqlSyncErrorCode.StorageUnavailable } ? ProtocolErrorCode.StorageUnavailable
        : ProtocolErrorCode.InternalError;
}
