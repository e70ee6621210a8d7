using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SqlSync.Journals;

namespace SqlSync.Storage.Azure;

/// <summary>
/// A server's documents in one blob container (decision 0037): document <c>{id}</c> is the blobs under <c>{id}/</c>.
/// The container is created (when missing) at the first document opened, not at configuration.
/// </summary>
internal sealed class BlobJournalStores : IJournalStoreProvider
{
    private readonly BlobContainerClient _container;
    private readonly Lazy<bool> _containerReady;

    public BlobJournalStores(BlobContainerClient container)
    {
        _container = container;
        _containerReady = new Lazy<bool>(() =>
        {
            BlobJournalStore.EnsureContainer(_container);
            return true;
        }, LazyThreadSafetyMode.PublicationOnly); // a failure is tried again at the next open
    }

    /// <summary>The container (tests and benchmarks count its requests).</summary>
    internal BlobContainerClient Container => _container;

    /// <inheritdoc />
    public IJournalStore For(string documentId)
    {
        _ = _containerReady.Value;
        return new BlobJournalStore(_container, documentId + "/");
    }

    /// <inheritdoc />
    public bool Exists(string documentId)
    {
        _ = _containerReady.Value;
        return BlobRequests.Run($"look for the document '{documentId}'", () =>
            _container.GetBlobs(new GetBlobsOptions { Prefix = documentId + "/" }).AsPages(pageSizeHint: 1).FirstOrDefault()?.Values.Count > 0);
    }

    /// <inheritdoc />
    public string Describe() => $"the blob container '{_container.Name}' at {_container.Uri.GetLeftPart(UriPartial.Authority)}";
}
