using SqlSync.Documents;

namespace SqlSync.Replication;

/// <summary>Where the server engine finds coordinator documents: the host opens them on first use.</summary>
public interface ICoordinatorProvider
{
    /// <summary>The coordinator of <paramref name="documentId"/> (already validated), opened or created.</summary>
    CoordinatorDocument GetDocument(string documentId);

    /// <summary>Called after a link delivered new timeline entries for <paramref name="documentId"/>: schedule a step.</summary>
    void OnTimelineReceived(string documentId);
}
