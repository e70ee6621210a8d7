using SqlSync.Documents;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests;

public sealed class SmokeTests
{
    [Fact]
    [Trait("Category", "Documents")]
    public void ClientMutatesCoordinatorAppliesSecondClientSeesIt()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "smoke", Reducer = Reducer });
        using var a = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "smoke", Reducer = Reducer });
        using var b = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "smoke", Reducer = Reducer });
        a.Mutate(new CreateSchema());
        a.Mutate(new Insert(1, "apple", 3));
        Assert.Equal(3L, a.QueryScalar<long>("SELECT qty FROM items WHERE id = 1"));
        SyncDriver.Full(a, coordinator);
        Assert.Equal(0, a.PendingMutationCount);
        SyncDriver.Full(b, coordinator);
        Assert.Equal(3L, b.QueryScalar<long>("SELECT qty FROM items WHERE id = 1"));
        Assert.Equal(coordinator.StorageChecksum, b.StorageChecksum);
    }
}
