using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SqlSync.Journals;

namespace SqlSync.Storage.Azure;

/// <summary>
/// One document's journals in a blob container, under <c>{root}</c> (the document's id and a '/'): the journal
/// <c>timelines/{id}</c> is the blobs under <c>{root}timelines/{id}/</c>. Appends are durable when the create
/// returns, so a document flushes each upload before acknowledging it, as it fsyncs a file journal.
/// </summary>
internal sealed partial class BlobJournalStore : IJournalStore
{
    private readonly BlobContainerClient _container;
    private readonly string _root;

    /// <param name="container">The container (created when missing).</param>
    /// <param name="root">The prefix of every blob of the document: empty, or ending with '/'.</param>
    public BlobJournalStore(BlobContainerClient container, string root)
    {
        if (root.Length > 0 && !root.EndsWith('/'))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"A blob journal root must be empty or end with '/': '{root}'.");
        }

        _container = container;
        _root = root;
    }

    /// <summary>Creates the container when it does not exist (one request; a server does it once at start).</summary>
    public static void EnsureContainer(BlobContainerClient container) =>
        BlobRequests.Run($"create the container '{container.Name}'", () => container.CreateIfNotExists());

    /// <inheritdoc />
    public bool FlushBeforeAcknowledge => true;

    /// <inheritdoc />
    public IJournal Open(string name, bool batched, bool fsyncOnAppend, long segmentSizeBytes) =>
        BlobJournal.Open(_container, PrefixOf(name), Normalize(name), batched, readOnly: false);

    /// <inheritdoc />
    public IJournal OpenReadOnly(string name) => BlobJournal.Open(_container, PrefixOf(name), Normalize(name), batched: true, readOnly: true);

    /// <inheritdoc />
    public IReadOnlyList<string> Children(string name)
    {
        string prefix = PrefixOf(name);
        return BlobRequests.Run($"list the journals under '{Normalize(name)}'", () =>
            _container.GetBlobsByHierarchy(new GetBlobsByHierarchyOptions { Delimiter = "/", Prefix = prefix })
                .Where(item => item.IsPrefix)
                .Select(item => item.Prefix[prefix.Length..].TrimEnd('/'))
                .Order(StringComparer.Ordinal)
                .ToList());
    }

    /// <summary>The blob prefix of the journal <paramref name="name"/>.</summary>
    internal string PrefixOf(string name) => _root + Normalize(name) + "/";

    private static string Normalize(string name) => name.Replace('\\', '/').Trim('/');
}
