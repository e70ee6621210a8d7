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

    /// <summary>Presence messages queued for one connection at most (default 4,096); a client that falls further behind loses the oldest until the next refreshes.</summary>
    public int MaxQueuedPerConnection { get; set; } = 4096;
}
