using SqlSync.Replication;
using SqlSync.Server;

namespace SqlSync.Orleans;

/// <summary>How an exception in a document grain is told to the connection: as the single server tells it (SyncConnection).</summary>
internal static class RelayErrors
{
    public static RelayOutcome OutcomeOf(Exception exception, string documentId, out SqlSyncException error)
    {
        switch (exception)
        {
            case SqlSyncException ex when ex.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code && SyncProtocol.IsDocumentError(code):
                error = ex;
                return RelayOutcome.DocumentRefused;
            case SqlSyncException { Code: SqlSyncErrorCode.StorageUnavailable } ex:
                error = DocumentErrors.Create(ProtocolErrorCode.StorageUnavailable, documentId, ex.Message);
                return RelayOutcome.DocumentRefused;
            case SqlSyncException { Code: SqlSyncErrorCode.JournalFenced }:
                // Fenced during this call: another coordinator took the document over (decision 0037). Told and logged
                // as the single server does (SyncConnection): the host logged the fence once.
                error = ServerLink.ClosedUnder(documentId);
                return RelayOutcome.DocumentRefused;
            case SqlSyncException { Code: SqlSyncErrorCode.DocumentClosed } closed:
                // Closed under the grain's call: its node stops, or its copy was fenced and closed.
                error = Moved(documentId, $"it was closed on the node serving it ({closed.Message}); it is opened again");
                return RelayOutcome.DocumentRefused;
            case SqlSyncException { Code: SqlSyncErrorCode.Protocol } ex:
                error = ex;
                return RelayOutcome.ProtocolError;
            default:
                error = Moved(documentId, $"the node serving it failed ({DocumentErrors.Cause(exception)}); other documents are served");
                return RelayOutcome.DocumentRefused;
        }
    }

    /// <summary>The refusal after which the client opens the document again (after its reopen delay), wherever it lives then.</summary>
    public static SqlSyncException Moved(string documentId, string why) => DocumentErrors.Create(ProtocolErrorCode.DocumentFailed, documentId, why);
}
