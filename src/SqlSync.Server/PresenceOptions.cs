namespace SqlSync.Server;

/// <summary>Limits of presence (issue 17): ephemeral per-client state the server fans out and never journals.</summary>
public sealed class PresenceOptions
{
    /// <summary>The largest presence state a client may publish (default 4 KiB); a larger one is dropped and the client told (not fatal).</summary>
    public int MaxStateBytes { get; set; } = 4096;

    /// <summary>
    /// A state not published again within this time expires and its peers are told it left (default 30 s); clients
    /// publish theirs again every <c>SqlSyncClientOptions.PresenceRefreshInterval</c> (10 s).
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: states end only with their connection. Zero or less is refused at start.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes of presence messages queued for one connection at most (default 256 KiB). A newer state of a peer
    /// replaces its waiting one first (only the newest matters); a viewer still further behind loses the oldest
    /// until their peers' next refreshes.
    /// </summary>
    public long MaxQueuedBytesPerConnection { get; set; } = 256 * 1024;

    /// <summary>
    /// States of one client in one document fanned out per second at most (default 20, after a burst of as many);
    /// faster publishes are coalesced and the newest is sent when its turn comes. 0 turns the limit off.
    /// </summary>
    public int MaxPublishesPerSecond { get; set; } = 20;

    /// <summary>
    /// Refuses limits under which presence cannot work, at start rather than as states that vanish without a word: a
    /// state size under one byte, a timeout that is not positive (or infinite: states end with their connection), an
    /// outbox that could not hold one full-size state, a negative rate (decision 0036).
    /// </summary>
    internal void Validate()
    {
        string? problem = MaxStateBytes < 1 ? $"MaxStateBytes must be at least 1, not {MaxStateBytes}"
            : Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan ? $"Timeout must be positive or infinite, not {Timeout}"
            : MaxQueuedBytesPerConnection < (long)MaxStateBytes + MessageOverheadBytes
                ? $"MaxQueuedBytesPerConnection ({MaxQueuedBytesPerConnection}) must hold one state of MaxStateBytes ({MaxStateBytes}) plus {MessageOverheadBytes} bytes"
            : MaxPublishesPerSecond < 0 ? $"MaxPublishesPerSecond must be 0 (no limit) or more, not {MaxPublishesPerSecond}"
            : null;
        if (problem is not null)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"Presence options: {problem}.");
        }
    }

    /// <summary>What a queued message costs besides its state, at most: ids and bookkeeping (<see cref="PresenceOutbox"/>).</summary>
    internal const int MessageOverheadBytes = 1024;
}
