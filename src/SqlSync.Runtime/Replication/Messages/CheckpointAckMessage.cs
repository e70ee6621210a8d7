using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>
/// Client → server: the client holds the first <paramref name="Received"/> bytes of the checkpoint at
/// <paramref name="Lsn"/>; the server sends the next slice. Once it holds the whole file the client installs it and
/// answers with a <see cref="StorageAckMessage"/> instead.
/// </summary>
internal sealed record CheckpointAckMessage(string DocumentId, Lsn Lsn, long Received) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.CheckpointAck;
}
