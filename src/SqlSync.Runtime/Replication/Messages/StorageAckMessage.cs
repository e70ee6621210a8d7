using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Client → server: the storage range the client now holds.</summary>
internal sealed record StorageAckMessage(string DocumentId, LsnRange StorageRange) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.StorageAck;
}
