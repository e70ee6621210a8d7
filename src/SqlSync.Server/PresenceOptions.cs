namespace SqlSync.Server;

/// <summary>Limits of presence (issue 17): ephemeral per-client state the server fans out and never journals.</summary>
public sealed class PresenceOptions
{
    /// <summary>The largest presence state a client may publish (default 4 KiB); a larger one is dropped and the client told (not fatal).</summary>
    public int MaxStateBytes { get; set; } = 4096;

    /// <summary>
    /// A state not published again within this time expires and its peers are told it left (default 30 s); clients
    /// publish theirs again every <c>SqlSyncClientOptions.PresenceRefreshInterval</c> (10 s).
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
}
