using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>Builds the exceptions that become per-document error frames (the link stays open).</summary>
internal static class DocumentErrors
{
    /// <summary>A <see cref="SqlSyncErrorCode.Protocol"/> exception with <paramref name="code"/> about one document; no server paths in it.</summary>
    public static SqlSyncException Create(ProtocolErrorCode code, string documentId, string message)
    {
        var exception = new SqlSyncException(SqlSyncErrorCode.Protocol, $"{code}: document '{documentId}': {message}");
        exception.Data[nameof(ProtocolErrorCode)] = code;
        exception.Data["DocumentId"] = documentId;
        return exception;
    }
}
