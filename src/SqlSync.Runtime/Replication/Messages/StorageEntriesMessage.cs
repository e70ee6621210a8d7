using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Server → client: a run of the document's storage entries.</summary>
public sealed record StorageEntriesMessage(string DocumentId, JournalPartial Entries) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.StorageEntries;
}
