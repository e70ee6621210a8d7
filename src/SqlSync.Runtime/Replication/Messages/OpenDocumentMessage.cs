using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Replication.Messages;

/// <summary>
/// Client → server: open a document with the client's timeline, the secret that proves the client owns it
/// (docs/protocol.md, "Timeline ownership") and the storage range it holds. <paramref name="AppSchemaVersion"/> is the
/// schema version of the client app's mutation set (its highest migration; docs/versioning.md), an optional trailing
/// field: absent (0) when the app has no migrations.
/// </summary>
internal sealed record OpenDocumentMessage(string DocumentId, TimelineId Timeline, LsnRange StorageRange, TimelineSecret Secret, int AppSchemaVersion = 0) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.OpenDocument;
}
