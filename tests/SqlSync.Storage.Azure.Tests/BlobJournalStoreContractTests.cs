using Azure;
using Azure.Core;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs;
using SqlSync.Journals;
using Xunit;

namespace SqlSync.Storage.Azure;

/// <summary>The journal store contract (decision 0031) against blobs in Azurite.</summary>
[Trait("Category", "ObjectStorage")]
public sealed class BlobJournalStoreContractTests : JournalStoreContractTests, IClassFixture<AzuriteFixture>
{
    private readonly BlobContainerClient _container;
    private readonly FailingRequests _faults = new();
    private readonly BlobJournalStore _store;

    public BlobJournalStoreContractTests(AzuriteFixture azurite)
    {
        // Writes that fail fail every retry too: the policy sits after the retry policy, so it sees each try.
        _container = azurite.NewContainer(options => options.AddPolicy(_faults, HttpPipelinePosition.PerRetry));
        _store = new BlobJournalStore(_container, "doc/");
    }

    private protected override IJournalStore Store => _store;

    private protected override IDisposable FailWrites()
    {
        _faults.Rule = (_, request) => (request.Method == RequestMethod.Put, false);
        return new Scope(() => _faults.Rule = (_, _) => (false, false));
    }

    private protected override void TearWrite(string name, Lsn lsn, byte[] entry)
    {
        // The one write this store makes is a single Put Blob; a crash mid-request leaves its body cut short.
        BlobClient blob = _container.GetBlobClient(BlobJournal.BlobName(_store.PrefixOf(name), lsn));
        byte[] whole = JournalBatch.Encode(lsn, [entry]);
        var options = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
        Assert.ThrowsAny<Exception>(() => blob.Upload(new CutShortStream(whole, whole.Length / 2), options));
    }

    private sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
