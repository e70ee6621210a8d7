using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>
/// Server → client: a slice of the checkpoint file at <paramref name="Lsn"/> (docs/formats.md), for a client whose
/// storage is behind what the server keeps. <paramref name="Bytes"/> start at <paramref name="Offset"/> of a file of
/// <paramref name="TotalBytes"/> holding <paramref name="Pages"/> pages; an empty slice at offset 0 is an offer: the
/// client answers with where it stands (a download cut short resumes there).
/// </summary>
internal sealed record CheckpointChunkMessage(string DocumentId, Lsn Lsn, long TotalBytes, uint Pages, long Offset, ReadOnlyMemory<byte> Bytes) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.CheckpointChunk;
}
