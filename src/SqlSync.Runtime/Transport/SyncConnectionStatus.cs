namespace SqlSync.Transport;

/// <summary>Where a <see cref="SqlSyncClient"/>'s connection is.</summary>
public enum SyncConnectionStatus
{
    /// <summary>Not connected; a reconnect may be scheduled (see <see cref="SqlSyncClient.LastError"/>).</summary>
    Disconnected,
    /// <summary>Opening the WebSocket and saying hello.</summary>
    Connecting,
    /// <summary>
    /// Connected, and every document's timeline is uploaded, except the pending mutations of documents the server
    /// opened read-only, which never upload (<see cref="SqlSyncClient.LastError"/> names them).
    /// </summary>
    Connected,
    /// <summary>Connected, with messages in flight or local mutations not yet uploaded.</summary>
    Syncing,
}
