using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Replication.Messages;

/// <summary>
/// Client → server: open a document with the client's timeline, the secret that proves the client owns it
/// (docs/protocol.md, "Timeline ownership") and the storage range it holds.
/// </summary>
public sealed record OpenDocumentMessage(string DocumentId, TimelineId Timeline, LsnRange StorageRange, TimelineSecret Secret) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.OpenDocument;
}
