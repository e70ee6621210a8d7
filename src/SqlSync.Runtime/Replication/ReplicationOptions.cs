namespace SqlSync.Replication;

/// <summary>Limits shared by both ends of a link.</summary>
public sealed class ReplicationOptions
{
    /// <summary>The largest frame this end accepts (default 16 MiB); a larger one closes the link.</summary>
    public int MaxFrameBytes { get; init; } = SyncProtocol.DefaultMaxFrameBytes;

    /// <summary>
    /// About how many bytes of journal entries one message carries (default 1 MiB), within the peer's frame limit.
    /// A larger entry goes alone, as parts of at most this size.
    /// </summary>
    public long MaxEntryBytesPerMessage { get; init; } = 1 << 20;

    /// <summary>
    /// The largest journal entry this end reassembles from parts (default 1 GiB, the most a journal holds); a peer
    /// that announces a larger one is refused with <see cref="ProtocolErrorCode.FrameTooLarge"/>. A server may lower
    /// it to bound what one client upload can make it hold, at the price of refusing clients whose mutation records
    /// are larger: they then fail to upload with that error.
    /// </summary>
    public int MaxEntryBytes { get; init; } = SyncProtocol.DefaultMaxEntryBytes;

    /// <summary>
    /// How many storage messages (entries or checkpoint slices) a server keeps in flight per document and link before
    /// the client acknowledges the oldest (decision 0030; default 4). One in flight makes a join a chain of round
    /// trips; a few keep the wire and the client busy while bounding what the server has queued per link.
    /// </summary>
    internal int StorageMessagesInFlight { get; init; } = DefaultStorageMessagesInFlight;

    /// <summary>The default of <see cref="StorageMessagesInFlight"/>.</summary>
    internal const int DefaultStorageMessagesInFlight = 4;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxFrameBytes < SyncProtocol.MinMaxFrameBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"MaxFrameBytes must be at least {SyncProtocol.MinMaxFrameBytes}, not {MaxFrameBytes}.");
        }

        if (StorageMessagesInFlight < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "StorageMessagesInFlight must be positive.");
        }

        if (MaxEntryBytesPerMessage < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "MaxEntryBytesPerMessage must be positive.");
        }

        if (MaxEntryBytes < 1 || MaxEntryBytes > SyncProtocol.DefaultMaxEntryBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"MaxEntryBytes must be between 1 and {SyncProtocol.DefaultMaxEntryBytes} (the largest journal entry), not {MaxEntryBytes}.");
        }
    }

    /// <summary>The entry budget of one message to a peer that accepts <paramref name="peerMaxFrameBytes"/>.</summary>
    internal long EntryBudget(int peerMaxFrameBytes) => Math.Max(1, Math.Min(MaxEntryBytesPerMessage, peerMaxFrameBytes / 2));

    /// <summary>
    /// A reassembler for entries sent to this end in parts, of at most <see cref="MaxEntryBytes"/> (or
    /// <paramref name="maxEntryBytes"/> if lower), its buffer charged to <paramref name="budget"/> when there is one.
    /// </summary>
    internal EntryAssembler CreateAssembler(IMemoryBudget? budget = null, int? maxEntryBytes = null) =>
        new(Math.Min(MaxEntryBytes, maxEntryBytes ?? int.MaxValue), MaxFrameBytes, budget);
}
