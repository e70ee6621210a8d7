using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Server → client: the range of the client's timeline the server now holds.</summary>
internal sealed record TimelineAckMessage(string DocumentId, LsnRange TimelineRange) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.TimelineAck;
}
