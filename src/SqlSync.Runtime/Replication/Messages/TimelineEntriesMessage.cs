using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Client → server: a run of the client's timeline entries for one document.</summary>
internal sealed record TimelineEntriesMessage(string DocumentId, JournalPartial Entries) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.TimelineEntries;
}
