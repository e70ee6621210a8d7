using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Orleans;

/// <summary>
/// The documents as a connection's silo sees them: it opens none (the grains do). Existence is decided by the
/// document's grain when it applies the open, so here every document may exist.
/// </summary>
internal sealed class RelayDocuments : ICoordinatorProvider
{
    public CoordinatorDocument GetDocument(string documentId) =>
        throw new InvalidOperationException("A relaying silo opens no document: its grain does.");

    public void OnTimelineReceived(string documentId)
    {
    }
}
