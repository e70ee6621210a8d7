namespace SqlSync.Replication;

/// <summary>Why a link was closed with an error frame. Values are stable.</summary>
public enum ProtocolErrorCode : ushort
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
    /// The server holds as much as it will for messages still arriving (its receive budget, shared by all connections);
    /// the client reconnects with backoff.
    /// </summary>
    ServerBusy = 12,
}
