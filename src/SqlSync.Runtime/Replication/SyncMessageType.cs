namespace SqlSync.Replication;

/// <summary>The type byte of a frame. Values are stable; new types are appended.</summary>
internal enum SyncMessageType : byte
{
    /// <summary>Client → server, first frame: the protocol versions the client speaks.</summary>
    Hello = 1,
    /// <summary>Server → client: the version chosen and the server's frame limit.</summary>
    Welcome = 2,
    /// <summary>Client → server: open a document with this timeline and storage range.</summary>
    OpenDocument = 3,
    /// <summary>Server → client: the document is open; the timeline range the server holds; the access granted.</summary>
    DocumentOpened = 4,
    /// <summary>Client → server: timeline entries.</summary>
    TimelineEntries = 5,
    /// <summary>Server → client: the timeline range the server now holds.</summary>
    TimelineAck = 6,
    /// <summary>Server → client: storage entries.</summary>
    StorageEntries = 7,
    /// <summary>Client → server: the storage range the client now holds.</summary>
    StorageAck = 8,
    /// <summary>Either way: a protocol error; the sender closes the link after it.</summary>
    Error = 9,
    /// <summary>Client → server: one part of a timeline entry too large for one message (version 3).</summary>
    TimelineEntryPart = 10,
    /// <summary>Server → client: one part of a storage entry too large for one message (version 3).</summary>
    StorageEntryPart = 11,

    /// <summary>Server → client: a slice of a checkpoint file (protocol version 5).</summary>
    CheckpointChunk = 12,

    /// <summary>Client → server: how much of a checkpoint file the client holds (protocol version 5).</summary>
    CheckpointAck = 13,

    /// <summary>Client → server: this client's presence state in an open document (never journaled).</summary>
    PresenceUpdate = 14,
    /// <summary>Server → client: another client's presence state in the document, or that it left.</summary>
    PresenceChanged = 15,
}
