namespace SqlSync.Replication;

/// <summary>Constants of the replication protocol (docs/protocol.md).</summary>
internal static class SyncProtocol
{
    /// <summary>
    /// The protocol version this build speaks. A peer that speaks another is refused at hello, and a frame of
    /// another version is refused. Version 2 encoded each journal entry raw or as an LZ4 block; version 3 adds entry
    /// parts, which carry an entry larger than a message across frames; version 4 adds the timeline secret to the
    /// open-document message (docs/decisions/0011-timeline-secrets-and-quotas.md); version 5 adds checkpoint
    /// chunks and acks, so a client behind a compaction joins from a checkpoint (decision 0018), and presence
    /// frames (decision 0024); version 6 lets a storage entry travel as a page delta against the client's committed
    /// view (decision 0025). Older versions are not spoken.
    /// </summary>
    public const ushort Version = 6;

    /// <summary>The largest frame accepted unless configured otherwise: 16 MiB.</summary>
    public const int DefaultMaxFrameBytes = 16 << 20;

    /// <summary>
    /// The largest journal entry a peer reassembles from parts unless configured otherwise: 1 GiB, the most a journal
    /// frame holds, so that every entry a journal can hold can be carried.
    /// </summary>
    public const int DefaultMaxEntryBytes = 1 << 30;

    /// <summary>The smallest frame limit a peer may configure.</summary>
    public const int MinMaxFrameBytes = 64 << 10;

    /// <summary>Bytes of the fixed frame header: magic (2), version (1), type (1), payload length (4).</summary>
    public const int HeaderSize = 8;

    /// <summary>The first two bytes of every frame: ASCII "SY".</summary>
    public const ushort Magic = 0x5953;

    /// <summary>
    /// True for the error codes a server sends about one document without closing the link
    /// (<see cref="ProtocolErrorCode.DocumentStuck"/>, <see cref="ProtocolErrorCode.DocumentFailed"/>,
    /// <see cref="ProtocolErrorCode.TooManyDocuments"/>, <see cref="ProtocolErrorCode.StorageUnavailable"/>): the link's
    /// other documents keep syncing.
    /// </summary>
    public static bool IsDocumentError(ProtocolErrorCode code) =>
        code is ProtocolErrorCode.DocumentStuck or ProtocolErrorCode.DocumentFailed or ProtocolErrorCode.TooManyDocuments
            or ProtocolErrorCode.StorageUnavailable or ProtocolErrorCode.DocumentNotFound
            or ProtocolErrorCode.UpgradeRequired or ProtocolErrorCode.ServerOlderThanClient or ProtocolErrorCode.CheckpointRejected;

    /// <summary>
    /// True for the per-document errors after which the client opens the document again on the same link, after a
    /// delay that doubles with each refusal in a row (<see cref="ReopenDelay"/>).
    /// </summary>
    public static bool IsDocumentRefusal(ProtocolErrorCode code) =>
        code is ProtocolErrorCode.DocumentFailed or ProtocolErrorCode.TooManyDocuments or ProtocolErrorCode.StorageUnavailable
            or ProtocolErrorCode.DocumentNotFound
            or ProtocolErrorCode.UpgradeRequired or ProtocolErrorCode.ServerOlderThanClient or ProtocolErrorCode.CheckpointRejected;

    /// <summary>How long a client waits before it opens a refused document again: 1 s, doubled per refusal in a row, at most 60 s.</summary>
    public static TimeSpan ReopenDelay(int refusalsInARow) =>
        TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Clamp(refusalsInARow - 1, 0, 6)));
}
