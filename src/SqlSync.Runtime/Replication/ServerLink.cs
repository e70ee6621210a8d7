using System.Collections.Concurrent;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

/// <summary>
/// One connection as the server engine sees it: <see cref="Handle"/> turns a client message into replies,
/// <see cref="Poll()"/> yields storage entries the client lacks (a window of messages in flight per document, each
/// acknowledged in order: decision 0030). A message that breaks the protocol throws a <see cref="SqlSyncErrorCode.Protocol"/>
/// exception before anything reaches a journal; the transport answers with an error frame and closes.
/// Thread-safe. A host that must not wait on a busy document splits <see cref="Handle"/> into
/// <see cref="Accept"/> (in arrival order, no document touched) and <see cref="Apply"/> (per document,
/// under that document's gate); lock order: document gate, then this link, then the document.
/// </summary>
internal sealed partial class ServerLink
{
    private readonly object _sync = new();
    private readonly ReplicationServer _server;
    private readonly LinkIdentity _identity;
    // Concurrent so that HasDocument needs no lock: it is called from step notifications, which run on a
    // stepper's thread while other links may hold their own locks.
    private readonly ConcurrentDictionary<string, ServerDocumentLink> _documents = new(StringComparer.Ordinal);
    private readonly EntryAssembler _assembler;

    /// <summary>The access <see cref="Accept"/> granted to opens not yet applied.</summary>
    private readonly Dictionary<string, DocumentAccess> _openAccess = new(StringComparer.Ordinal);

    /// <summary>Per open read-write document whose timeline this link has not claimed yet, the secret it opened with.</summary>
    private readonly Dictionary<string, TimelineSecret> _unclaimed = new(StringComparer.Ordinal);

    /// <summary>The documents that count against the principal's open documents on this link (accepted opens, until forgotten).</summary>
    private readonly HashSet<string> _openSlots = new(StringComparer.Ordinal);
    private bool _welcomed;
    private bool _closed;
    private int _peerMaxFrameBytes = SyncProtocol.MinMaxFrameBytes;

    internal ServerLink(ReplicationServer server, long id, LinkIdentity identity, EntryAssembler assembler)
    {
        _server = server;
        Id = id;
        _identity = identity;
        _assembler = assembler;
    }

    /// <summary>A number that names this link in logs.</summary>
    public long Id { get; }

    /// <summary>The client's name from its hello, for logs.</summary>
    public string ClientName { get; private set; } = "";

    /// <summary>The documents open on this link.</summary>
    public IReadOnlyList<string> DocumentIds => _documents.Keys.ToArray();

    /// <summary>True when <paramref name="documentId"/> is open on this link (without copying the list; takes no lock).</summary>
    public bool HasDocument(string documentId) => _documents.ContainsKey(documentId);

    /// <summary>Handles one client message and returns the replies: <see cref="Accept"/>, then <see cref="Apply"/>.</summary>
    public IReadOnlyList<SyncMessage> Handle(SyncMessage message)
    {
        lock (_sync)
        {
            SyncMessage? work = Accept(message, out IReadOnlyList<SyncMessage> replies);
            return work is null ? replies : Apply(work);
        }
    }

    /// <summary>
    /// The first half of handling a message, in the order messages arrive and without touching any document
    /// (so it never waits on a busy one): checks the link's state, answers hello and gathers the parts of a
    /// large entry. Returns the message that remains for its document's <see cref="Apply"/> (an assembled entry
    /// becomes a <see cref="TimelineEntriesMessage"/>), or null with the replies when nothing remains.
    /// </summary>
    public SyncMessage? Accept(SyncMessage message, out IReadOnlyList<SyncMessage> replies)
    {
        ArgumentNullException.ThrowIfNull(message);
        replies = Array.Empty<SyncMessage>();
        lock (_sync)
        {
            if (_closed)
            {
                throw Error(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} after the link closed");
            }

            if (!_welcomed && message is not HelloMessage)
            {
                throw Error(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} before hello");
            }

            if (message is not TimelineEntryPartMessage and not ErrorMessage)
            {
                _assembler.ThrowIfUnfinished(message);
            }

            switch (message)
            {
                case HelloMessage hello:
                    replies = Hello(hello);
                    return null;
                case OpenDocumentMessage open:
                    _openAccess[open.DocumentId] = CheckOpen(open);
                    return message;
                case TimelineEntriesMessage entries:
                    ChargeUpload(entries.DocumentId, entries.Entries.ByteCount);
                    return message;
                case StorageAckMessage or CheckpointAckMessage:
                    return message;
                case PresenceUpdateMessage presence:
                    // Only a document open on this link (its access checked at open): a denied client neither publishes nor sees.
                    return _documents.ContainsKey(presence.DocumentId) ? message
                        : throw Error(ProtocolErrorCode.PresenceNotOpen, $"presence for document '{presence.DocumentId}', which this link has not opened");
                case TimelineEntryPartMessage part:
                    ChargeUpload(part.DocumentId, part.Bytes.Length);
                    return AcceptTimelinePart(part);
                case ErrorMessage error:
                    throw Error(error.Code, $"the client closed the link: {error.Message}");
                default:
                    throw Error(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} is not expected from a client");
            }
        }
    }

    /// <summary>
    /// The second half: applies a message <see cref="Accept"/> returned to its document and returns the replies.
    /// A host calls it holding the document's gate, one message of a document at a time and in order; messages
    /// of different documents may be applied concurrently.
    /// </summary>
    public IReadOnlyList<SyncMessage> Apply(SyncMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_sync)
        {
            switch (message)
            {
                case OpenDocumentMessage open:
                    return Open(open);
                case TimelineEntriesMessage entries:
                    return ReceiveTimeline(entries.DocumentId, entries.Entries);
                case StorageAckMessage ack:
                    return StorageAck(ack);
                case CheckpointAckMessage checkpointAck:
                    return CheckpointAck(checkpointAck);
                default:
                    throw Error(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} is not applied to a document");
            }
        }
    }

    /// <summary>The document a message that <see cref="Accept"/> returned is applied to.</summary>
    public static string DocumentOf(SyncMessage message) => message switch
    {
        OpenDocumentMessage open => open.DocumentId,
        TimelineEntriesMessage entries => entries.DocumentId,
        StorageAckMessage ack => ack.DocumentId,
        CheckpointAckMessage checkpointAck => checkpointAck.DocumentId,
        _ => throw new ArgumentException($"{message?.Type} is not applied to a document", nameof(message)),
    };

    /// <summary>Stops serving <paramref name="documentId"/> on this link (it failed on its own); true when it was open.</summary>
    public bool Forget(string documentId)
    {
        lock (_sync)
        {
            _openAccess.Remove(documentId);
            _unclaimed.Remove(documentId);
            if (_assembler.DocumentId == documentId)
            {
                _assembler.Reset(); // its entry would be refused anyway: the memory goes back now
            }

            if (_openSlots.Remove(documentId))
            {
                _identity.Quota?.DocumentClosed();
            }

            return _documents.TryRemove(documentId, out _);
        }
    }

    /// <summary>
    /// The connection ended: drops an entry in reassembly (its memory goes back to the server's budget) and gives the
    /// principal back the documents this link had open. Nothing is accepted after it.
    /// </summary>
    public void Close()
    {
        lock (_sync)
        {
            _closed = true;
            _assembler.Reset();
            foreach (string _ in _openSlots)
            {
                _identity.Quota?.DocumentClosed();
            }

            _openSlots.Clear();
            _openAccess.Clear();
            _unclaimed.Clear();
            _documents.Clear();
        }
    }

    /// <summary>Storage entries to send now: for each open document whose client is behind and has nothing in flight.</summary>
    public IReadOnlyList<SyncMessage> Poll()
    {
        lock (_sync)
        {
            var messages = new List<SyncMessage>();
            foreach ((_, ServerDocumentLink link) in _documents) // enumerating takes no lock; .Values would copy
            {
                AddStorage(link, messages);
            }

            return messages;
        }
    }

    /// <summary>
    /// <see cref="Poll()"/> for one document: what a host calls, holding that document's gate, when its storage
    /// grew, so a busy document never holds up the others.
    /// </summary>
    public IReadOnlyList<SyncMessage> Poll(string documentId)
    {
        lock (_sync)
        {
            var messages = new List<SyncMessage>();
            if (_documents.TryGetValue(documentId, out ServerDocumentLink? link))
            {
                AddStorage(Live(link, documentId), messages);
            }

            return messages;
        }
    }

    private IReadOnlyList<SyncMessage> Hello(HelloMessage hello)
    {
        if (_welcomed)
        {
            throw Error(ProtocolErrorCode.UnexpectedMessage, "a second hello");
        }

        if (hello.MinVersion > SyncProtocol.Version || hello.MaxVersion < SyncProtocol.Version)
        {
            throw Error(ProtocolErrorCode.UnsupportedVersion,
                $"the client speaks versions {hello.MinVersion}–{hello.MaxVersion}; this server speaks {SyncProtocol.Version}");
        }

        if (hello.MaxFrameBytes < SyncProtocol.MinMaxFrameBytes)
        {
            throw Error(ProtocolErrorCode.MalformedFrame, $"a frame limit of {hello.MaxFrameBytes} is below the minimum {SyncProtocol.MinMaxFrameBytes}");
        }

        _welcomed = true;
        _peerMaxFrameBytes = hello.MaxFrameBytes;
        ClientName = hello.ClientName;
        return new SyncMessage[] { new WelcomeMessage(SyncProtocol.Version, _server.Options.MaxFrameBytes) };
    }

    /// <summary>What an open is checked for before the host opens (or creates) the document: the id, access, existence.</summary>
    private DocumentAccess CheckOpen(OpenDocumentMessage open)
    {
        try
        {
            SqlSync.Documents.DocumentIds.Validate(open.DocumentId);
        }
        catch (SqlSyncException ex)
        {
            throw Error(ProtocolErrorCode.UnknownDocument, ex.Message, open.DocumentId);
        }

        DocumentAccess access = _identity.Authorize(open.DocumentId);
        if (access == DocumentAccess.Denied)
        {
            throw Error(ProtocolErrorCode.AccessDenied, "access to the document is denied", open.DocumentId);
        }

        bool exists = _server.Documents.Exists(open.DocumentId);
        if (!open.StorageRange.Next.Equals(Lsn.Zero) && !exists)
        {
            // A client cannot hold storage of a document that does not exist: refuse before creating it.
            throw Error(ProtocolErrorCode.LsnOutOfRange,
                $"the client holds storage {open.StorageRange} of a document the server does not have", open.DocumentId);
        }

        if (!exists && access != DocumentAccess.ReadWrite)
        {
            // Reading leaves nothing behind: a reader may not create a document (docs/decisions/0016). Refused on its own.
            throw DocumentError(ProtocolErrorCode.DocumentNotFound, "the document does not exist and this link may only read it; it is opened again later", open.DocumentId);
        }

        // The principal's open documents, counted before the host opens anything (docs/decisions/0016).
        PrincipalQuota? quota = _identity.Quota;
        bool slotTaken = false;
        if (quota is not null && !_identity.QuotaForCreationsOnly && !_openSlots.Contains(open.DocumentId))
        {
            if (!quota.TryOpenDocument())
            {
                throw DocumentError(ProtocolErrorCode.TooManyDocuments,
                    $"this principal has its maximum of {quota.Limits.OpenDocuments} documents open (on all its connections); it is opened again later", open.DocumentId);
            }

            slotTaken = true;
        }

        if (!exists && quota is not null && !quota.TryCreateDocument())
        {
            if (slotTaken)
            {
                quota.DocumentClosed();
            }

            throw Error(ProtocolErrorCode.QuotaExceeded,
                $"this principal created its quota of {quota.Limits.DocumentsCreatedPerHour} documents this hour; retry later", open.DocumentId);
        }

        if (slotTaken)
        {
            _openSlots.Add(open.DocumentId);
        }

        return access;
    }

    private IReadOnlyList<SyncMessage> Open(OpenDocumentMessage open)
    {
        if (!_openAccess.Remove(open.DocumentId, out DocumentAccess access))
        {
            access = CheckOpen(open);
        }

        CoordinatorDocument document = _server.Documents.GetDocument(open.DocumentId);
        CheckOwnership(document, open.DocumentId, open.Timeline, open.Secret, claim: false);
        if (open.AppSchemaVersion < document.MinimumClientSchemaVersion)
        {
            throw Error(ProtocolErrorCode.UpgradeRequired,
                $"upgrade required: the app's mutation set is at schema version {open.AppSchemaVersion}, and the server serves {document.MinimumClientSchemaVersion} or newer; pending mutations stay on the client", open.DocumentId);
        }

        if (open.StorageRange.Next > document.StorageRange.Next)
        {
            throw Error(ProtocolErrorCode.LsnOutOfRange,
                $"the client holds storage {open.StorageRange}, beyond the server's {document.StorageRange}", open.DocumentId);
        }

        LsnRange timeline = document.GetTimelineRange(open.Timeline);
        var link = new ServerDocumentLink(document, open.Timeline, access, open.StorageRange) { TimelineNext = timeline.Next };
        _documents[open.DocumentId] = link;
        if (access == DocumentAccess.ReadWrite)
        {
            _unclaimed[open.DocumentId] = open.Secret; // claimed at the first upload, so an open that uploads nothing writes nothing
        }
        else
        {
            _unclaimed.Remove(open.DocumentId);
        }

        var replies = new List<SyncMessage> { new DocumentOpenedMessage(open.DocumentId, access, timeline) };
        AddStorage(link, replies);
        return replies;
    }

    /// <summary>
    /// The link proves it owns the timeline it opened with: its principal and its secret match the owner record, if
    /// there is one. With <paramref name="claim"/> (a read-write link's first upload) a missing record is written,
    /// within the principal's quota; at open nothing is written, so neither a read-only link nor an open that uploads
    /// nothing leaves a record behind, and a reader cannot lock a writer out of its timeline.
    /// </summary>
    private void CheckOwnership(CoordinatorDocument document, string documentId, TimelineId timeline, TimelineSecret secret, bool claim)
    {
        PrincipalQuota? quota = _identity.Quota;
        Func<bool>? mayCreate = !claim ? null : quota is null ? static () => true : quota.TryClaimTimeline;
        switch (document.ClaimTimeline(timeline, _identity.Principal, secret, mayCreate))
        {
            case TimelineClaim.OtherPrincipal:
                throw Error(ProtocolErrorCode.TimelineForgery, $"timeline {timeline} belongs to another principal", documentId);
            case TimelineClaim.WrongSecret:
                throw Error(ProtocolErrorCode.TimelineForgery,
                    $"timeline {timeline} is bound to another secret: only the client that created it may use it", documentId);
            case TimelineClaim.Unclaimed when claim:
                throw Error(ProtocolErrorCode.QuotaExceeded,
                    $"this principal claimed its quota of {quota?.Limits.TimelinesClaimedPerHour} timelines this hour; retry later", documentId);
        }
    }

    /// <summary>
    /// Charges <paramref name="bytes"/> uploaded to the principal's quota, or throws <see cref="ProtocolErrorCode.QuotaExceeded"/>
    /// (a cluster's relaying silo charges the entry parts it hands to a grain unread here).
    /// </summary>
    internal void ChargeUpload(string documentId, long bytes)
    {
        PrincipalQuota? quota = _identity.Quota;
        if (quota is not null && !_identity.QuotaForCreationsOnly && !quota.TryUpload(bytes))
        {
            throw Error(ProtocolErrorCode.QuotaExceeded,
                $"this principal uploaded its quota of {quota.Limits.UploadBytesPerMinute} bytes this minute; retry later", documentId);
        }
    }

    private TimelineEntriesMessage? AcceptTimelinePart(TimelineEntryPartMessage part)
    {
        if (!_assembler.InProgress)
        {
            // Checked at the first part, so that a link that may not upload, or whose entry leaves a gap after what
            // this link last saw, is refused before the server holds any of the entry (checked again when applied).
            ServerDocumentLink link = CheckMayUpload(part.DocumentId);
            if (part.Lsn > link.TimelineNext)
            {
                throw Error(ProtocolErrorCode.LsnOutOfRange,
                    $"timeline entries from {part.Lsn} leave a gap after {link.TimelineNext}", part.DocumentId);
            }
        }

        byte[]? entry = _assembler.Add(part);
        return entry is null ? null : new TimelineEntriesMessage(part.DocumentId, EntryAssembler.AsPartial(part.Lsn, entry));
    }

    private IReadOnlyList<SyncMessage> ReceiveTimeline(string documentId, JournalPartial entries)
    {
        (ServerDocumentLink link, LsnRange held) = CheckTimelineUpload(documentId, entries.Range.First);
        entries = KnownPrefix(link.Document, documentId, entries);
        if (_unclaimed.Remove(documentId, out TimelineSecret secret))
        {
            CheckOwnership(link.Document, documentId, link.Timeline, secret, claim: true);
        }

        // Queue first and let the host schedule a step, then make the entries durable for the acknowledgement:
        // when a step came first its storage entry already made them durable (one fsync, not two).
        LsnRange after = link.Document.AppendTimeline(link.Timeline, entries);
        link.TimelineNext = after.Next;
        if (after.Next > held.Next)
        {
            _server.Documents.OnTimelineReceived(documentId);
        }

        link.Document.MakeTimelineDurable(link.Timeline);
        return new SyncMessage[] { new TimelineAckMessage(documentId, after) };
    }

    /// <summary>
    /// The entries up to the first whose mutation tag the document's mutation set does not know (the server is older
    /// than the client): those are taken; from it on nothing is, and when it is the first the upload is refused with
    /// <see cref="ProtocolErrorCode.ServerOlderThanClient"/>, a per-document error: the client keeps it queued and
    /// uploads it again later, so it goes through once the server is upgraded instead of being rejected.
    /// Entries that do not decode are left to the step, which rejects them as before.
    /// </summary>
    private static JournalPartial KnownPrefix(CoordinatorDocument document, string documentId, JournalPartial entries)
    {
        for (int i = 0; i < entries.Entries.Count; i++)
        {
            ReadOnlySpan<byte> mutation;
            try
            {
                mutation = TimelineEntry.Decode(entries.Entries[i].Span).Mutation;
            }
            catch (SqlSyncException)
            {
                continue;
            }

            if (mutation.Length < 4 || document.KnowsMutationTag(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(mutation)))
            {
                continue;
            }

            if (i == 0)
            {
                uint tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(mutation);
                Lsn lsn = entries.Range.First;
                throw Error(ProtocolErrorCode.ServerOlderThanClient,
                    $"server older than client: the mutation at {lsn} has tag 0x{tag:X8}, which the server's mutation set does not know; it stays queued on the client until the server is upgraded", documentId);
            }

            return new JournalPartial(LsnRange.Inclusive(entries.Range.First, new Lsn(entries.Range.First.Value + (ulong)i - 1)), entries.Entries.Take(i).ToArray());
        }

        return entries;
    }

    /// <summary>The link may upload to <paramref name="documentId"/>, and entries from <paramref name="first"/> leave no gap.</summary>
    private (ServerDocumentLink Link, LsnRange Held) CheckTimelineUpload(string documentId, Lsn first)
    {
        ServerDocumentLink link = CheckMayUpload(documentId);
        LsnRange held = link.Document.GetTimelineRange(link.Timeline);
        if (first > held.Next)
        {
            throw Error(ProtocolErrorCode.LsnOutOfRange,
                $"timeline entries from {first} leave a gap after the server's {held}", documentId);
        }

        return (link, held);
    }

    private ServerDocumentLink CheckMayUpload(string documentId)
    {
        ServerDocumentLink link = Find(documentId);
        if (link.Access != DocumentAccess.ReadWrite)
        {
            throw Error(ProtocolErrorCode.AccessDenied, "the link may only read this document", documentId);
        }

        return link;
    }

    private IReadOnlyList<SyncMessage> StorageAck(StorageAckMessage ack)
    {
        ServerDocumentLink link = Find(ack.DocumentId);
        if (ack.StorageRange.Next > link.Document.StorageRange.Next)
        {
            throw Error(ProtocolErrorCode.LsnOutOfRange,
                $"the client acknowledges storage {ack.StorageRange}, beyond the server's {link.Document.StorageRange}", ack.DocumentId);
        }

        link.ClientStorage = ack.StorageRange;
        (SentKind? kind, bool rewind) = link.Window.Acknowledge((long)ack.StorageRange.Next.Value);
        if (kind is SentKind.Offer or SentKind.Slice)
        {
            // The client installed the checkpoint (or held its state already): entries follow from where it stands.
            link.CheckpointLsn = null;
            link.SentNext = ack.StorageRange.Next;
            link.Window.MarkStale();
        }
        else if (kind is null || rewind)
        {
            link.SentNext = ack.StorageRange.Next; // an ack with nothing in flight, or the client holds less than sent: go on from it
        }

        var replies = new List<SyncMessage>();
        AddStorage(link, replies);
        return replies;
    }

    /// <summary>Fills the document's window (decision 0030): entries, or the checkpoint's offer and slices, until it is full or nothing is left.</summary>
    private void AddStorage(ServerDocumentLink link, List<SyncMessage> messages)
    {
        long budget = _server.Options.EntryBudget(_peerMaxFrameBytes);
        while (link.Window.Count < _server.Options.StorageMessagesInFlight && AddOneStorage(link, messages, budget))
        {
        }
    }

    /// <summary>Adds one storage message (an entry's parts count as one); false when nothing more may go now.</summary>
    private bool AddOneStorage(ServerDocumentLink link, List<SyncMessage> messages, long budget)
    {
        if (link.SentNext < link.Document.StorageRange.First || link.CheckpointLsn is not null || JoinsFromCheckpoint(link))
        {
            return AddCheckpoint(link, messages, budget); // a download begun goes on to its end
        }

        StorageEntriesMessage? message = _server.StorageMessages.Get(link.Document, LsnRange.EmptyAt(link.SentNext), budget);
        if (message is null)
        {
            return false;
        }

        link.SentNext = message.Entries.Range.Next;
        link.Window.Add(SentKind.Entries, (long)link.SentNext.Value);
        if (EntryParts.Needed(message.Entries, budget))
        {
            string documentId = message.DocumentId;
            EntryParts.Add(messages, message.Entries, budget, (lsn, length, offset, bytes) => new StorageEntryPartMessage(documentId, lsn, length, offset, bytes));
        }
        else
        {
            messages.Add(message);
        }

        return true;
    }

    private ServerDocumentLink Find(string documentId) =>
        _documents.TryGetValue(documentId, out ServerDocumentLink? link)
            ? Live(link, documentId)
            : throw Error(ProtocolErrorCode.UnknownDocument, "the document is not open on this link", documentId);

    /// <summary>A per-document refusal (<see cref="SyncProtocol.IsDocumentError"/>): the host answers it with an error frame and keeps the link.</summary>
    private static SqlSyncException DocumentError(ProtocolErrorCode code, string message, string documentId) => Error(code, message, documentId);

    private static SqlSyncException Error(ProtocolErrorCode code, string message, string documentId = "")
    {
        SqlSyncException exception = ProtocolException.Create(code, documentId.Length > 0 ? $"document '{documentId}': {message}" : message);
        exception.Data["DocumentId"] = documentId;
        return exception;
    }
}
