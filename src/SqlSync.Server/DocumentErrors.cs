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

    /// <summary>
    /// A failure's cause as a client may read it: the engine's own errors (worded without server paths) with their
    /// code; for anything else only its type, because operating-system messages name paths (ErrorFor's scrub misses
    /// paths with spaces).
    /// </summary>
    public static string Cause(Exception ex) =>
        ex is SqlSyncException failure ? $"{failure.Code}: {failure.Message}" : ex.GetType().Name;
}
