using SqlSync.Journals;
using SqlSync.Runtime.Tests.Documents;
using Xunit;

namespace SqlSync.Storage.Azure;

/// <summary><see cref="StoreDocumentTests"/> on blobs in Azurite: checkpoints, owners and the in-flight note as objects.</summary>
[Trait("Category", "ObjectStorage")]
public sealed class BlobStoreDocumentTests(AzuriteFixture azurite) : StoreDocumentTests, IClassFixture<AzuriteFixture>
{
    private protected override IJournalStore NewStore() => new BlobJournalStore(azurite.NewContainer(), "store-doc/");
}
