using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>
/// Client → server: the client holds the first <paramref name="Received"/> bytes of the checkpoint at
/// <paramref name="Lsn"/>; the server sends the next slice. Once it holds the whole file the client installs it and
/// answers with a <see cref="StorageAckMessage"/> instead. <see cref="Corrupt"/> (-1) says the whole file failed
/// validation (decision 0027); <see cref="Declined"/> (-2), the answer to an offer, that the client cannot take a
/// checkpoint (a memory document) and wants the entries (decision 0042).
/// </summary>
internal sealed record CheckpointAckMessage(string DocumentId, Lsn Lsn, long Received) : SyncMessage
{
    /// <summary>The <see cref="Received"/> of a client whose whole download failed validation (it deleted it).</summary>
    public const long Corrupt = -1;

    /// <summary>The <see cref="Received"/> of a client that cannot take a checkpoint, in answer to an offer.</summary>
    public const long Declined = -2;

    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.CheckpointAck;
}
