namespace SqlSync.Replication.Messages;

/// <summary>One frame of the replication protocol (docs/protocol.md). Encoded by <see cref="SyncMessageCodec"/>.</summary>
internal abstract record SyncMessage
{
    /// <summary>The frame's type byte.</summary>
    public abstract SyncMessageType Type { get; }
}
