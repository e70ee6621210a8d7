namespace SqlSync.Replication;

/// <summary>A document whose coordinator was closed or fenced under the link (another coordinator took it over: decision 0037).</summary>
internal sealed partial class ServerLink
{
    /// <summary>
    /// True when <paramref name="documentId"/> is open on this link on a coordinator that was closed or fenced under it
    /// (another coordinator took it over: decision 0037); takes no lock. Its messages are refused with
    /// <see cref="ClosedUnder"/> until the client opens it again, on the host's current copy.
    /// </summary>
    public bool HasClosedDocument(string documentId) =>
        _documents.TryGetValue(documentId, out ServerDocumentLink? link) && link.Document.IsClosedOrFenced;

    /// <summary>
    /// The per-document refusal for a document closed under a link: the client opens it again after its reopen delay.
    /// Marked (<see cref="IsClosedUnder"/>) so the host logs it quietly: the fence itself was logged once.
    /// </summary>
    public static SqlSyncException ClosedUnder(string documentId)
    {
        SqlSyncException error = DocumentError(ProtocolErrorCode.DocumentFailed,
            "it was closed on this server because another coordinator took it over; open it again", documentId);
        error.Data[nameof(ClosedUnder)] = true;
        return error;
    }

    /// <summary>True for an error made by <see cref="ClosedUnder"/>.</summary>
    public static bool IsClosedUnder(Exception error) => error.Data[nameof(ClosedUnder)] is true;

    /// <summary>
    /// <paramref name="link"/>, unless its coordinator was closed or fenced under it: a closed copy never changes again, so
    /// serving it would leave the client waiting for storage that never comes.
    /// </summary>
    private static ServerDocumentLink Live(ServerDocumentLink link, string documentId) =>
        link.Document.IsClosedOrFenced ? throw ClosedUnder(documentId) : link;
}
