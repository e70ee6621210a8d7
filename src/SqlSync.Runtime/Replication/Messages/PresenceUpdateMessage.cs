namespace SqlSync.Replication.Messages;

/// <summary>
/// Client → server: this client's presence state in a document it has open (opaque bytes, often JSON:
/// a name, a cursor, a selection). Never journaled; the server fans it out to the document's other clients.
/// </summary>
internal sealed record PresenceUpdateMessage(string DocumentId, ReadOnlyMemory<byte> State) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.PresenceUpdate;
}
