namespace SqlSync.Replication;

/// <summary>Why a link was closed with an error frame. Values are stable.</summary>
internal enum ProtocolErrorCode : ushort
{
    /// <summary>A frame could not be decoded: bad magic, truncated, trailing bytes, invalid field.</summary>
    MalformedFrame = 1,
    /// <summary>The peers share no protocol version.</summary>
    UnsupportedVersion = 2,
    /// <summary>The frame's type byte names no message.</summary>
    UnknownMessageType = 3,
    /// <summary>The frame is larger than the receiver's limit.</summary>
    FrameTooLarge = 4,
    /// <summary>The document id is invalid or the document is not open on this link.</summary>
    UnknownDocument = 5,
    /// <summary>The authorization hook denied the document, or a read-only link sent mutations.</summary>
    AccessDenied = 6,
    /// <summary>Entries for a timeline the link does not own.</summary>
    TimelineForgery = 7,
    /// <summary>An LSN range that does not fit the journal it names.</summary>
    LsnOutOfRange = 8,
    /// <summary>A message that is not allowed in the link's state (e.g. anything before hello).</summary>
    UnexpectedMessage = 9,
    /// <summary>The peer failed while handling a valid message.</summary>
    InternalError = 10,
    /// <summary>
    /// Not fatal: the server's step of this document has run longer than its threshold (a reducer may be
    /// stuck). The link stays open; the document's storage waits until the step ends or the server restarts.
    /// </summary>
    DocumentStuck = 11,
    /// <summary>
    /// The link's principal went over one of the server's per-principal quotas (documents created or timelines
    /// claimed per hour, upload bytes per minute); the message names which. Retry later.
    /// </summary>
    QuotaExceeded = 12,
    /// <summary>
    /// The server could not write the document's storage (its disk is full, or an I/O error): the document is
    /// paused and the upload was not acknowledged; nothing acknowledged is lost. Retry later: the document
    /// resumes by itself when the server's disk has room.
    /// </summary>
    StorageUnavailable = 13,
    /// <summary>
    /// Not fatal: this document failed on the server (it could not be opened, e.g. a corrupt journal, or its
    /// id differs only in case from an existing document's) or was refused on its own. The link stays open
    /// and its other documents keep syncing; the client may open the document again on a later connection.
    /// </summary>
    DocumentFailed = 14,
    /// <summary>
    /// Not fatal: the server holds its maximum of open documents and every one is in use, so this document
    /// cannot be opened now. The link stays open; the client may open it again on a later connection.
    /// </summary>
    TooManyDocuments = 15,
    /// <summary>
    /// The server holds as much as it will for messages still arriving (its receive budget, shared by all connections);
    /// the client reconnects with backoff.
    /// </summary>
    ServerBusy = 16,
    /// <summary>
    /// Not fatal: the document does not exist and this link may only read it, so it is not created (a reader leaves
    /// nothing behind). The link stays open; the client opens the document again after a delay, as after
    /// <see cref="DocumentFailed"/>, and finds it once a writer has created it.
    /// </summary>
    DocumentNotFound = 17,
    /// <summary>A presence update named a document the link does not have open (only a hostile client sends one): fatal.</summary>
    PresenceNotOpen = 24,
    /// <summary>
    /// Not fatal: a presence update was larger than the server's <c>MaxPresenceBytes</c> and was dropped; the link stays
    /// open and the client's earlier state stands.
    /// </summary>
    PresenceTooLarge = 25,

    /// <summary>
    /// Not fatal: the client's app is older than the server's mutation set allows (its schema version, sent with the
    /// open, is below the minimum the mutation set declares). The client keeps its pending mutations and reports
    /// "upgrade required"; it opens the document again after a delay, so an upgraded app goes on by itself.
    /// </summary>
    UpgradeRequired = 22,
    /// <summary>
    /// Not fatal: the client uploaded a mutation whose tag the server's mutation set does not know (the server is
    /// older than the client). Nothing from that entry on was taken; the client keeps it queued, not rejected, and
    /// uploads it again after a delay, so it goes through once the server is upgraded.
    /// </summary>
    ServerOlderThanClient = 23,
    /// <summary>
    /// Not fatal: the client reported the server's checkpoint corrupt (it failed validation once downloaded) more
    /// times on this link than the server retries, and the server's own copy validates, so the damage is on the way or
    /// on the client. The link stays open; the client opens the document again after a growing delay and downloads
    /// it again then (decision 0027).
    /// </summary>
    CheckpointRejected = 30,
}
