namespace SqlSync.Replication.Messages;

/// <summary>
/// Server → client: another client of the document published its presence state (<paramref name="Present"/>
/// true) or left (false: it disconnected, closed the document, or its state expired; <paramref name="State"/> empty).
/// <paramref name="PeerId"/> names the other client's connection for as long as it lasts.
/// </summary>
internal sealed record PresenceChangedMessage(string DocumentId, string PeerId, bool Present, ReadOnlyMemory<byte> State) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.PresenceChanged;
}
