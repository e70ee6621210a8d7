namespace SqlSync.Transport;

/// <summary>Where one document of a <see cref="SqlSyncClient"/> stands with the server (<see cref="DocumentSyncState"/>).</summary>
public enum DocumentSyncStatus
{
    /// <summary>No connection: local mutations are kept and upload at the next one (the client's <see cref="SqlSyncClient.LastError"/> says why).</summary>
    Offline,
    /// <summary>Connected; the server has not opened the document yet.</summary>
    Opening,
    /// <summary>Open; local mutations wait to be uploaded, applied by the server, or rebased on.</summary>
    Uploading,
    /// <summary>Open, and every local mutation is applied by the server and rebased on.</summary>
    UpToDate,
    /// <summary>
    /// As <see cref="UpToDate"/>, but the server rejected some of the mutations of this round (the reason names the last
    /// one; <see cref="Documents.LocalDocument.MutationRejected"/> names each). The next local mutation leaves this status.
    /// </summary>
    Rejected,
    /// <summary>The server refused or failed this document alone (the reason says why); it is opened again after a delay.</summary>
    Refused,
    /// <summary>The server opened the document read-only for this client: its local mutations never upload (the reason counts them).</summary>
    ReadOnly,
    /// <summary>
    /// The server refused this document because this app is older than its mutation set allows ("upgrade required",
    /// docs/versioning.md): local mutations stay queued until the app is upgraded.
    /// </summary>
    UpgradeRequired,
    /// <summary>
    /// The server does not know a pending mutation's tag (the server is older than this app): it stays queued, not
    /// rejected, and uploads once the server is upgraded.
    /// </summary>
    ServerOlderThanClient,
}
