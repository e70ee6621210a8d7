using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

/// <summary>
/// The client side of the protocol without I/O (the seed's LinkManager for one link): it turns received
/// messages into replies and, when polled, into uploads of new timeline entries. It caches, per document,
/// the server's range of the client's timeline and keeps one upload in flight at a time. A transport
/// moves the frames. Not thread-safe: the transport serializes calls.
/// </summary>
internal sealed class ReplicationClient
{
    private readonly string _clientName;
    private readonly ReplicationOptions _options;
    private readonly Dictionary<string, ClientDocumentLink> _documents = new(StringComparer.Ordinal);
    private readonly EntryAssembler _assembler;
    private LinkPhase _phase = LinkPhase.Disconnected;
    private int _peerMaxFrameBytes = SyncProtocol.MinMaxFrameBytes;

    /// <summary>Creates the engine; <paramref name="clientName"/> appears in the server's logs.</summary>
    public ReplicationClient(string clientName, ReplicationOptions? options = null)
    {
        _clientName = clientName;
        _options = options ?? new ReplicationOptions();
        _options.Validate();
        _assembler = _options.CreateAssembler();
    }

    private enum LinkPhase
    {
        Disconnected,
        AwaitingWelcome,
        Connected,
    }

    /// <summary>True after the server's welcome, until <see cref="Disconnect"/>.</summary>
    public bool IsConnected => _phase == LinkPhase.Connected;

    /// <summary>The documents this client syncs.</summary>
    public IEnumerable<LocalDocument> Documents => _documents.Values.Select(d => d.Document);

    /// <summary>Adds a document; it is opened at the next poll when connected.</summary>
    public void AddDocument(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (!_documents.TryAdd(document.DocumentId, new ClientDocumentLink(document)))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"Document '{document.DocumentId}' is already synced by this client.");
        }
    }

    /// <summary>Starts a new link: forgets what the last one cached and returns the hello frame.</summary>
    public IReadOnlyList<SyncMessage> Connect()
    {
        _assembler.Reset();
        foreach (ClientDocumentLink link in _documents.Values)
        {
            link.Reset();
        }

        _phase = LinkPhase.AwaitingWelcome;
        return new SyncMessage[] { new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, _options.MaxFrameBytes, _clientName) };
    }

    /// <summary>The link is gone; nothing is in flight any more.</summary>
    public void Disconnect()
    {
        _phase = LinkPhase.Disconnected;
        _assembler.Reset();
        foreach (ClientDocumentLink link in _documents.Values)
        {
            link.Reset();
        }
    }

    /// <summary>True when the server opened <paramref name="documentId"/> on this link (presence may be published).</summary>
    public bool IsOpened(string documentId) => _documents.TryGetValue(documentId, out ClientDocumentLink? link) && link.Opened;

    /// <summary>
    /// True when <paramref name="documentId"/> is open, nothing is in flight and the server holds every
    /// timeline entry of this client (pending mutations may still await the server's storage).
    /// </summary>
    public bool IsUploaded(string documentId) =>
        _documents.TryGetValue(documentId, out ClientDocumentLink? link) && link.Opened && !link.UploadInFlight
        && link.ServerTimeline is LsnRange server && server.Next >= link.Document.TimelineRange.Next;

    /// <summary>
    /// The server's report that its step of <paramref name="documentId"/> is stuck (a reducer running far
    /// longer than it should), or null; cleared when the document's storage arrives again.
    /// </summary>
    public string? GetStuckReport(string documentId) =>
        _documents.TryGetValue(documentId, out ClientDocumentLink? link) ? link.StuckReport : null;

    /// <summary>
    /// Whether the server refused <paramref name="documentId"/> for its version: <see cref="ProtocolErrorCode.UpgradeRequired"/>
    /// (this app is older than the server serves) or <see cref="ProtocolErrorCode.ServerOlderThanClient"/> (the server
    /// does not know a pending mutation yet); null otherwise. Pending mutations stay queued either way.
    /// </summary>
    public ProtocolErrorCode? GetVersionRefusal(string documentId) =>
        _documents.TryGetValue(documentId, out ClientDocumentLink? link) ? link.VersionRefusal : null;

    /// <summary>
    /// The server's report that <paramref name="documentId"/> failed or was refused on its own (it could not be
    /// opened, e.g. a corrupt journal on the server, or the server has too many documents open), or null; cleared
    /// when the document opens again on a later link. The link's other documents keep syncing meanwhile.
    /// </summary>
    public string? GetDocumentError(string documentId) =>
        _documents.TryGetValue(documentId, out ClientDocumentLink? link) ? link.FailedReport : null;

    /// <summary>The access the server granted for <paramref name="documentId"/> on this link, if it is open.</summary>
    public DocumentAccess? GetAccess(string documentId) =>
        _documents.TryGetValue(documentId, out ClientDocumentLink? link) && link.Opened ? link.Access : null;

    /// <summary>
    /// Handles one message from the server and returns the replies. An error frame from the server, or a
    /// message that breaks the protocol, throws a <see cref="SqlSyncErrorCode.Protocol"/> exception: the
    /// transport closes the link.
    /// </summary>
    public IReadOnlyList<SyncMessage> Handle(SyncMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var replies = new List<SyncMessage>();
        if (message is not StorageEntryPartMessage and not ErrorMessage)
        {
            _assembler.ThrowIfUnfinished(message);
        }

        switch (message)
        {
            case ErrorMessage { Code: ProtocolErrorCode.DocumentStuck } stuck when _documents.TryGetValue(stuck.DocumentId, out ClientDocumentLink? stuckLink):
                stuckLink.StuckReport = stuck.Message; // a status, not a failure: the link stays open
                break;

            case ErrorMessage { Code: ProtocolErrorCode.PresenceTooLarge }:
                break; // a status: the update was dropped, the link stays (SqlSyncClient reports it)

            case ErrorMessage failed when SyncProtocol.IsDocumentRefusal(failed.Code)
                && _documents.TryGetValue(failed.DocumentId, out ClientDocumentLink? failedLink) && failedLink.OpenSent:
                // This document alone is refused: it is opened again on this link after a delay that grows with each
                // refusal in a row (a paused or busy server heals by itself), or on the next link.
                failedLink.FailedReport = failed.Message;
                if (failed.Code is ProtocolErrorCode.UpgradeRequired or ProtocolErrorCode.ServerOlderThanClient)
                {
                    failedLink.VersionRefusal = failed.Code; // pending mutations stay queued (docs/versioning.md)
                }
                failedLink.Opened = false;
                failedLink.UploadInFlight = false;
                failedLink.OpenSent = false;
                failedLink.Refusals++;
                failedLink.ReopenAt = Environment.TickCount64 + (long)SyncProtocol.ReopenDelay(failedLink.Refusals).TotalMilliseconds;
                break;

            case ErrorMessage error:
                throw ProtocolException.Create(error.Code,
                    $"the server closed the link{(error.DocumentId.Length > 0 ? $" (document '{error.DocumentId}')" : "")}: {error.Message}");

            case WelcomeMessage welcome when _phase == LinkPhase.AwaitingWelcome:
                if (welcome.Version != SyncProtocol.Version)
                {
                    throw ProtocolException.Create(ProtocolErrorCode.UnsupportedVersion, $"the server chose version {welcome.Version}; this client speaks {SyncProtocol.Version}");
                }

                if (welcome.MaxFrameBytes < SyncProtocol.MinMaxFrameBytes)
                {
                    throw ProtocolException.Create(ProtocolErrorCode.MalformedFrame, $"the server's frame limit {welcome.MaxFrameBytes} is below the minimum {SyncProtocol.MinMaxFrameBytes}");
                }

                _peerMaxFrameBytes = welcome.MaxFrameBytes;
                _phase = LinkPhase.Connected;
                AddPolled(replies);
                break;

            case DocumentOpenedMessage opened when _phase == LinkPhase.Connected:
            {
                ClientDocumentLink link = Find(opened.DocumentId);
                link.Opened = true;
                link.FailedReport = null;
                if (link.VersionRefusal == ProtocolErrorCode.UpgradeRequired)
                {
                    link.VersionRefusal = null;
                }

                link.Access = opened.Access;
                link.ServerTimeline = opened.TimelineRange;
                AddUpload(link, replies);
                break;
            }

            case TimelineAckMessage ack when _phase == LinkPhase.Connected:
            {
                ClientDocumentLink link = Find(ack.DocumentId);
                if (link.UploadInFlight && link.SentUpTo is Lsn sent && ack.TimelineRange.Next < link.SentFrom)
                {
                    throw ProtocolException.Create(ProtocolErrorCode.LsnOutOfRange,
                        $"document '{ack.DocumentId}': the server holds the timeline up to {ack.TimelineRange} but the client sent from {link.SentFrom} to {sent}; the server lost entries this client already dropped");
                }

                if (link.VersionRefusal == ProtocolErrorCode.ServerOlderThanClient && (link.ServerTimeline is not LsnRange before || ack.TimelineRange.Next > before.Next))
                {
                    link.VersionRefusal = null; // the server took what it refused before: it was upgraded
                }

                link.ServerTimeline = ack.TimelineRange;
                link.UploadInFlight = false;
                link.Refusals = 0;
                AddUpload(link, replies);
                break;
            }

            case StorageEntriesMessage or StorageEntryPartMessage:
            {
                TryTakeStorage(message, out LocalDocument? document, out JournalPartial? entries);
                return document is null ? replies : StorageReceived(document.DocumentId, document.ReceiveStorage(entries!));
            }

            case CheckpointChunkMessage chunk:
            {
                LocalDocument document = TakeCheckpointChunk(chunk);
                return CheckpointReceived(chunk, document.ReceiveCheckpointChunk(chunk.Lsn, chunk.TotalBytes, chunk.Pages, chunk.Offset, chunk.Bytes.Span));
            }

            default:
                throw ProtocolException.Create(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} is not expected from the server now");
        }

        return replies;
    }

    /// <summary>
    /// The first half of handling storage (a <see cref="StorageEntriesMessage"/>, or the
    /// <see cref="StorageEntryPartMessage"/>s of an entry larger than a message), for a transport that must not
    /// rebase under its own lock: checks the message and gives the document and the entries the caller passes
    /// to <see cref="LocalDocument.ReceiveStorage"/> outside its lock; the range that returns goes to
    /// <see cref="StorageReceived"/>. <see cref="Handle"/> does all three. Returns false when
    /// <paramref name="message"/> is not storage; true with a null <paramref name="document"/> when it was a
    /// part of an entry still arriving (held here, nothing to receive yet).
    /// </summary>
    public bool TryTakeStorage(SyncMessage message, out LocalDocument? document, out JournalPartial? entries)
    {
        ArgumentNullException.ThrowIfNull(message);
        document = null;
        entries = null;
        if (message is not (StorageEntriesMessage or StorageEntryPartMessage))
        {
            return false;
        }

        if (_phase != LinkPhase.Connected)
        {
            throw ProtocolException.Create(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} is not expected from the server now");
        }

        if (message is StorageEntriesMessage storage)
        {
            _assembler.ThrowIfUnfinished(message);
            ClientDocumentLink link = Find(storage.DocumentId);
            link.StuckReport = null; // storage arrived: the document steps again
            document = link.Document;
            entries = storage.Entries;
            return true;
        }

        var part = (StorageEntryPartMessage)message;
        try
        {
            ClientDocumentLink partLink = Find(part.DocumentId); // before the first part is held
            if (_assembler.Add(part) is byte[] entry)
            {
                partLink.StuckReport = null;
                document = partLink.Document;
                entries = EntryAssembler.AsPartial(part.Lsn, entry);
            }
        }
        finally
        {
            PooledFrame.Release(part.Bytes); // copied into the entry (or dropped with it): the received frame goes back to its pool
        }

        return true;
    }

    /// <summary>
    /// The first half of handling a checkpoint slice, for a transport that must not install it under its own lock:
    /// checks the link and returns the document, whose <see cref="LocalDocument.ReceiveCheckpointChunk"/> the caller
    /// runs outside its lock; its result goes to <see cref="CheckpointReceived"/>.
    /// </summary>
    public LocalDocument TakeCheckpointChunk(CheckpointChunkMessage chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (_phase != LinkPhase.Connected)
        {
            throw ProtocolException.Create(ProtocolErrorCode.UnexpectedMessage, $"{chunk.Type} is not expected from the server now");
        }

        _assembler.ThrowIfUnfinished(chunk);
        ClientDocumentLink link = Find(chunk.DocumentId);
        link.StuckReport = null;
        return link.Document;
    }

    /// <summary>
    /// The second half of handling a checkpoint slice: a <see cref="CheckpointAckMessage"/> with what the document
    /// holds, or, once it installed the checkpoint, a <see cref="StorageAckMessage"/> of its new range.
    /// </summary>
    public IReadOnlyList<SyncMessage> CheckpointReceived(CheckpointChunkMessage chunk, CheckpointChunkResult result)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (result.Installed is LsnRange range)
        {
            return StorageReceived(chunk.DocumentId, range);
        }

        if (_phase != LinkPhase.Connected || !_documents.TryGetValue(chunk.DocumentId, out ClientDocumentLink? link) || !link.OpenSent)
        {
            return Array.Empty<SyncMessage>();
        }

        if (result.Corrupt && ++link.CheckpointRejections > ServerLink.MaxCheckpointRejections)
        {
            // The server refuses the document after that many reports of a copy it finds sound; one that goes on
            // sending it does not honour them: the link ends, and the reconnect's growing delay paces the next try.
            throw ProtocolException.Create(ProtocolErrorCode.CheckpointRejected,
                $"document '{chunk.DocumentId}': the server's checkpoint at LSN {chunk.Lsn} failed validation {link.CheckpointRejections} times on this link: {result.Error!.Message}");
        }

        return new SyncMessage[] { new CheckpointAckMessage(chunk.DocumentId, chunk.Lsn, result.Corrupt ? CheckpointAckMessage.Corrupt : result.Received) };
    }

    /// <summary>
    /// The second half of handling storage: the acknowledgement of <paramref name="range"/> (what
    /// <see cref="LocalDocument.ReceiveStorage"/> returned) and any upload it allows. Nothing when the link
    /// ended meanwhile.
    /// </summary>
    public IReadOnlyList<SyncMessage> StorageReceived(string documentId, LsnRange range)
    {
        var replies = new List<SyncMessage>();
        if (_phase == LinkPhase.Connected && _documents.TryGetValue(documentId, out ClientDocumentLink? link) && link.OpenSent)
        {
            replies.Add(new StorageAckMessage(documentId, range));
            AddUpload(link, replies);
        }

        return replies;
    }

    /// <summary>How long until a document refused on its own may be opened again on this link (null: none waits).</summary>
    public TimeSpan? NextReopenIn()
    {
        long now = Environment.TickCount64;
        long? next = null;
        foreach (ClientDocumentLink link in _documents.Values)
        {
            if (!link.OpenSent && link.ReopenAt > now && (next is null || link.ReopenAt < next))
            {
                next = link.ReopenAt;
            }
        }

        return next is long at ? TimeSpan.FromMilliseconds(at - now) : null;
    }

    /// <summary>Messages the client should send now: opens of new documents, uploads of new timeline entries.</summary>
    public IReadOnlyList<SyncMessage> Poll()
    {
        var messages = new List<SyncMessage>();
        if (_phase == LinkPhase.Connected)
        {
            AddPolled(messages);
        }

        return messages;
    }

    private void AddPolled(List<SyncMessage> messages)
    {
        foreach (ClientDocumentLink link in _documents.Values)
        {
            if (!link.OpenSent)
            {
                if (link.ReopenAt > Environment.TickCount64)
                {
                    continue; // refused on its own a moment ago: opened again when its delay is over
                }

                link.OpenSent = true;
                messages.Add(new OpenDocumentMessage(link.Document.DocumentId, link.Document.TimelineId, link.Document.StorageRange, link.Document.TimelineSecret, link.Document.AppSchemaVersion));
            }
            else
            {
                AddUpload(link, messages);
            }
        }
    }

    private void AddUpload(ClientDocumentLink link, List<SyncMessage> messages)
    {
        if (!link.Opened || link.Access != DocumentAccess.ReadWrite || link.UploadInFlight || link.ServerTimeline is not LsnRange server)
        {
            return;
        }

        long budget = _options.EntryBudget(_peerMaxFrameBytes);
        JournalPartial? partial = link.Document.PrepareTimelineSync(server, budget);
        if (partial is null)
        {
            return;
        }

        link.UploadInFlight = true;
        link.SentFrom = partial.Range.First;
        link.SentUpTo = partial.Range.Last;
        string documentId = link.Document.DocumentId;
        if (EntryParts.Needed(partial, budget))
        {
            EntryParts.Add(messages, partial, budget, (lsn, length, offset, bytes) => new TimelineEntryPartMessage(documentId, lsn, length, offset, bytes));
        }
        else
        {
            messages.Add(new TimelineEntriesMessage(documentId, partial));
        }
    }

    private ClientDocumentLink Find(string documentId) =>
        _documents.TryGetValue(documentId, out ClientDocumentLink? link) && link.OpenSent
            ? link
            : throw ProtocolException.Create(ProtocolErrorCode.UnknownDocument, $"the server sent a message for document '{documentId}', which this client did not open");
}
