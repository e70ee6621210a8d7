using System.Net.WebSockets;
using SqlSync.Replication;

namespace SqlSync.Transport;

/// <summary>How a <see cref="SqlSyncClient"/> connects.</summary>
public sealed class SqlSyncClientOptions
{
    /// <summary>The server's sync endpoint, e.g. <c>ws://localhost:5000/sync</c>.</summary>
    public required Uri ServerUri { get; init; }

    /// <summary>A name for this client in the server's logs.</summary>
    public string ClientName { get; init; } = Environment.MachineName;

    /// <summary>
    /// The first delay before reconnecting after a lost or refused connection; the delay doubles with every connection
    /// that did not sync and starts over only after one that did (docs/protocol.md, "Reconnecting").
    /// </summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest delay between reconnect attempts (the delay doubles up to it, with ±50% jitter); a refusal that retrying
    /// cannot heal (no common version, access denied, a timeline of another principal) waits this long at once.
    /// </summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Frame and message limits.</summary>
    public ReplicationOptions Replication { get; init; } = new();

    /// <summary>The largest presence state <see cref="DocumentPresence.Publish(ReadOnlySpan{byte})"/> accepts (default 4 KiB, the server's default limit).</summary>
    public int MaxPresenceBytes { get; init; } = 4096;

    /// <summary>How often a published presence state is sent again, so the server's expiry (30 s by default) keeps it (default 10 s).</summary>
    public TimeSpan PresenceRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Sets up each WebSocket before it connects: headers such as <c>Authorization</c>, proxies, certificates.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; init; }
}
