namespace SqlSync.Replication;

/// <summary>Limits shared by both ends of a link.</summary>
public sealed class ReplicationOptions
{
    /// <summary>The largest frame this end accepts (default 16 MiB); a larger one closes the link.</summary>
    public int MaxFrameBytes { get; init; } = SyncProtocol.DefaultMaxFrameBytes;

    /// <summary>About how many bytes of journal entries one message carries (default 1 MiB), within the peer's frame limit.</summary>
    public long MaxEntryBytesPerMessage { get; init; } = 1 << 20;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxFrameBytes < SyncProtocol.MinMaxFrameBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"MaxFrameBytes must be at least {SyncProtocol.MinMaxFrameBytes}, not {MaxFrameBytes}.");
        }

        if (MaxEntryBytesPerMessage < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "MaxEntryBytesPerMessage must be positive.");
        }
    }

    /// <summary>The entry budget of one message to a peer that accepts <paramref name="peerMaxFrameBytes"/>.</summary>
    internal long EntryBudget(int peerMaxFrameBytes) => Math.Max(1, Math.Min(MaxEntryBytesPerMessage, peerMaxFrameBytes / 2));
}
