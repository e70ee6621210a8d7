namespace SqlSync.Replication.Messages;

/// <summary>Server → client: the protocol version both speak, and the largest frame the server accepts.</summary>
internal sealed record WelcomeMessage(ushort Version, int MaxFrameBytes) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.Welcome;
}
