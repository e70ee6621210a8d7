using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Client → server: one part of a timeline entry too large for one <see cref="TimelineEntriesMessage"/>.</summary>
internal sealed record TimelineEntryPartMessage(string DocumentId, Lsn Lsn, int EntryLength, int Offset, ReadOnlyMemory<byte> Bytes)
    : EntryPartMessage(DocumentId, Lsn, EntryLength, Offset, Bytes)
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.TimelineEntryPart;
}
