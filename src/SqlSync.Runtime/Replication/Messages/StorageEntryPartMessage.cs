using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Server → client: one part of a storage entry too large for one <see cref="StorageEntriesMessage"/>.</summary>
internal sealed record StorageEntryPartMessage(string DocumentId, Lsn Lsn, int EntryLength, int Offset, ReadOnlyMemory<byte> Bytes)
    : EntryPartMessage(DocumentId, Lsn, EntryLength, Offset, Bytes)
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.StorageEntryPart;
}
