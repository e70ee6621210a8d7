using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Replication.Messages;

/// <summary>Client → server: open a document with the client's timeline and the storage range it holds.</summary>
public sealed record OpenDocumentMessage(string DocumentId, TimelineId Timeline, LsnRange StorageRange) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.OpenDocument;
}
