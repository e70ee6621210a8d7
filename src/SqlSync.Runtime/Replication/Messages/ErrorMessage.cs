namespace SqlSync.Replication.Messages;

/// <summary>Either way: why the sender is closing the link. <paramref name="DocumentId"/> is empty when no document is concerned.</summary>
internal sealed record ErrorMessage(ProtocolErrorCode Code, string DocumentId, string Message) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.Error;
}
