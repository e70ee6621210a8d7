using SqlSync.Documents;

namespace SqlSync.Replication;

/// <summary>Where the server engine finds coordinator documents: the host opens them on first use.</summary>
internal interface ICoordinatorProvider
{
    /// <summary>The coordinator of <paramref name="documentId"/> (already validated), opened or created.</summary>
    CoordinatorDocument GetDocument(string documentId);

    /// <summary>
    /// Whether <paramref name="documentId"/> exists already (open, or on disk), so an open that cannot be
    /// valid for a new document is refused without creating one. The default says yes: always open.
    /// </summary>
    bool Exists(string documentId) => true;

    /// <summary>
    /// Called after a link queued new timeline entries for <paramref name="documentId"/>: schedule a step (the
    /// server's host never runs one on the calling thread, a request thread). Called before the entries are
    /// durable (the link syncs them after, unless a step applied them first: its storage entry makes them durable).
    /// </summary>
    void OnTimelineReceived(string documentId);
}
