namespace SqlSync.Replication.Messages;

/// <summary>Client → server, the first frame: the versions the client speaks, the largest frame it accepts, and who it is (for logs).</summary>
internal sealed record HelloMessage(ushort MinVersion, ushort MaxVersion, int MaxFrameBytes, string ClientName) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.Hello;
}
