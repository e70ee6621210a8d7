using SqlSync.Documents;

namespace SqlSync.Replication;

/// <summary>
/// The server side of the protocol without I/O: creates a <see cref="ServerLink"/> per connection and keeps
/// what links share. Thread-safe.
/// </summary>
internal sealed class ReplicationServer
{
    private long _nextLinkId;

    /// <summary>Creates the engine over the host's documents.</summary>
    public ReplicationServer(ICoordinatorProvider documents, ReplicationOptions? options = null)
    {
        Documents = documents ?? throw new ArgumentNullException(nameof(documents));
        Options = options ?? new ReplicationOptions();
        Options.Validate();
    }

    internal ICoordinatorProvider Documents { get; }

    internal ReplicationOptions Options { get; }

    /// <summary>Storage messages read and encoded once for every link that needs them.</summary>
    internal StorageMessageCache StorageMessages { get; } = new();

    /// <summary>The host closed <paramref name="document"/>: lets go of what the links shared of it.</summary>
    public void DocumentClosed(CoordinatorDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        StorageMessages.Forget(document);
    }

    /// <summary>A new link for a connection from <paramref name="identity"/>.</summary>
    public ServerLink CreateLink(LinkIdentity identity) => CreateLink(identity, entryBudget: null, maxEntryBytes: null);

    /// <summary>
    /// A new link for a connection from <paramref name="identity"/> whose entries in reassembly (large uploads in parts)
    /// are charged to <paramref name="entryBudget"/>, shared with the server's other connections, and are at most
    /// <paramref name="maxEntryBytes"/> (or <see cref="ReplicationOptions.MaxEntryBytes"/> if lower).
    /// </summary>
    public ServerLink CreateLink(LinkIdentity identity, IMemoryBudget? entryBudget, int? maxEntryBytes)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new ServerLink(this, Interlocked.Increment(ref _nextLinkId), identity, Options.CreateAssembler(entryBudget, maxEntryBytes));
    }
}
