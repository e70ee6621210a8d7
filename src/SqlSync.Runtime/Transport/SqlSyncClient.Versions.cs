using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Transport;

// Mixed app versions (docs/versioning.md): what the server said of this app's version, per document.
public sealed partial class SqlSyncClient
{
    /// <summary>
    /// True when the server refused <paramref name="document"/> because this app is older than the minimum its mutation
    /// set serves ("upgrade required"): pending mutations stay queued until the app is upgraded. Cleared when the
    /// document opens again (the client retries after a delay of up to a minute). docs/versioning.md.
    /// </summary>
    public bool IsUpgradeRequired(LocalDocument document) => VersionRefusal(document) == ProtocolErrorCode.UpgradeRequired;

    /// <summary>
    /// True when the server refused a pending mutation of <paramref name="document"/> because it does not know its tag
    /// (the server is older than this app): it stays queued, not rejected, and goes through once the server is upgraded.
    /// </summary>
    public bool IsServerOlderThanClient(LocalDocument document) => VersionRefusal(document) == ProtocolErrorCode.ServerOlderThanClient;

    private ProtocolErrorCode? VersionRefusal(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            return _engine.GetVersionRefusal(document.DocumentId);
        }
    }
}
