using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Server → client: the document is open with <paramref name="Access"/>; the server holds <paramref name="TimelineRange"/> of the client's timeline.</summary>
internal sealed record DocumentOpenedMessage(string DocumentId, DocumentAccess Access, LsnRange TimelineRange) : SyncMessage
{
    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.DocumentOpened;
}
