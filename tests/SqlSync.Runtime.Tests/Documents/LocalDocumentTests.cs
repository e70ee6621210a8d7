using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

public sealed class LocalDocumentTests
{
    private static LocalDocumentOptions Options(string? directory = null, bool keep = false) => new()
    {
        DocumentId = "local-tests",
        Reducer = Reducer,
        Directory = directory,
        FsyncOnAppend = false,
        KeepMutationsThatFailLocally = keep,
    };

    [Fact]
    [Trait("Category", "Documents")]
    public void AReducerExceptionRollsBackAndIsNotRecorded()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new CreateSchema());
        LsnRange before = doc.TimelineRange;

        var error = Assert.Throws<SqlSyncException>(() => doc.Mutate(new Fail("no way")));

        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        Assert.Contains("no way", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(0L, doc.QueryScalar<long>("SELECT count(*) FROM items")); // the row it wrote is gone
        Assert.Equal(before, doc.TimelineRange);
        doc.Mutate(new Insert(1, "after", 1)); // the document goes on
        Assert.Equal(1L, doc.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void AMutationThatFailsLocallyCanBeKeptForTheCoordinatorToDecide()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "local-tests", Reducer = Reducer });
        using var a = LocalDocument.Open(Options(keep: true));
        using var b = LocalDocument.Open(Options());
        a.Mutate(new CreateSchema());
        DirectSync.Sync(a, coordinator);

        // Row 5 does not exist on A yet, so AddQuantity fails locally; B creates it first on the coordinator.
        Lsn kept = a.Mutate(new AddQuantity(5, 10));
        Assert.Equal(1, a.PendingMutationCount);
        DirectSync.Sync(b, coordinator);
        b.Mutate(new Insert(5, "five", 1));
        DirectSync.Sync(b, coordinator);
        DirectSync.Sync(a, coordinator);

        Assert.Equal(11L, a.QueryScalar<long>("SELECT qty FROM items WHERE id = 5"));
        Assert.Empty(a.GetRejections());
        Assert.True(kept.Value > 0);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void OfflineMutationsSurviveARestartAndAreAppliedAgain()
    {
        using var directory = new TempDirectory();
        TimelineId timeline;
        using (var doc = LocalDocument.Open(Options(directory.Path)))
        {
            timeline = doc.TimelineId;
            doc.Mutate(new CreateSchema());
            for (int i = 0; i < 50; i++)
            {
                doc.Mutate(new Insert(i, $"offline {i}", i));
            }
        }

        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "local-tests", Reducer = Reducer });
        using (var doc = LocalDocument.Open(Options(directory.Path)))
        {
            Assert.Equal(timeline, doc.TimelineId);
            Assert.Equal(51, doc.PendingMutationCount);
            Assert.Equal(1225L, doc.QueryScalar<long>("SELECT sum(qty) FROM items"));
            DirectSync.Sync(doc, coordinator);
            Assert.Equal(0, doc.PendingMutationCount);
        }

        // After a restart the synced state comes from the local storage journal, not the network.
        using (var doc = LocalDocument.Open(Options(directory.Path)))
        {
            Assert.Equal(0, doc.PendingMutationCount);
            Assert.Equal(coordinator.StorageRange, doc.StorageRange);
            Assert.Equal(coordinator.StorageChecksum, doc.StorageChecksum);
            Assert.Equal(1225L, doc.QueryScalar<long>("SELECT sum(qty) FROM items"));
        }
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void TheCoordinatorsRejectionReachesTheClientAfterRebase()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "local-tests", Reducer = Reducer });
        using var a = LocalDocument.Open(Options());
        using var b = LocalDocument.Open(Options());
        a.Mutate(new CreateSchema());
        a.Mutate(new Insert(1, "one", 1));
        DirectSync.Sync(a, coordinator);
        DirectSync.Sync(b, coordinator);

        b.Mutate(new AddQuantity(1, 5)); // fine locally
        a.Mutate(new Delete(1));
        DirectSync.Sync(a, coordinator); // the coordinator deletes row 1 first
        var rejected = new List<RejectedMutation>();
        b.MutationRejected += (_, r) => rejected.Add(r);
        DirectSync.Sync(b, coordinator);

        RejectedMutation rejection = Assert.Single(rejected);
        Assert.Equal(b.TimelineId, rejection.Timeline);
        Assert.Contains("item 1 does not exist", rejection.Error);
        Assert.Equal(rejection, Assert.Single(b.GetRejections()));
        Assert.Equal(0, b.PendingMutationCount);
        Assert.Equal(0L, b.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    [Theory]
    [Trait("Category", "Documents")]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/not/allowed")]
    public void AnInvalidDocumentIdIsAClearError(string id)
    {
        var error = Assert.Throws<SqlSyncException>(() => LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = Reducer }));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
        Assert.Contains("Document id", error.Message);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void UsingADisposedDocumentIsAClearError()
    {
        var doc = LocalDocument.Open(Options());
        doc.Dispose();
        Assert.Equal(SqlSyncErrorCode.DocumentClosed, Assert.Throws<SqlSyncException>(() => doc.Mutate(new CreateSchema())).Code);
    }
}
