using SqlSync.Documents;
using SqlSync.Runtime.Tests.Attack;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// The read API (<c>Query</c>, <c>QueryScalar</c>) runs on the writer connection under the document's lock:
/// a runaway read is stopped by <see cref="MutationLimits.MaxVmStepsPerQuery"/> with a clear error, and the
/// document goes on.
/// </summary>
public sealed class ReadBudgetTests
{
    /// <summary>Counts to 10^18: without a budget it runs for centuries.</summary>
    private const string Runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000000000) SELECT count(*) FROM c";

    private static readonly MutationLimits SmallReads = new() { MaxVmStepsPerQuery = 2_000_000 };

    private static void AssertStopped(Action read)
    {
        SqlSyncException? error = null;
        Hang.Bounded(() => error = Assert.Throws<SqlSyncException>(read), seconds: 60);
        Assert.Equal(SqlSyncErrorCode.QueryOverBudget, error!.Code);
        Assert.Contains("2,000,000 SQLite VM steps", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxVmStepsPerQuery", error.Message, StringComparison.Ordinal);
        Assert.Contains("'read-budget'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ARunawayReadOnALocalDocumentIsStoppedAndTheDocumentGoesOn()
    {
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "read-budget", Reducer = Reducer, Limits = SmallReads });
        document.Mutate(new CreateSchema());
        document.Mutate(new Insert(1, "one", 10));

        AssertStopped(() => document.Query(Runaway));
        AssertStopped(() => document.QueryScalar<long>(Runaway));
        AssertStopped(() => document.Query("SELECT 1; " + Runaway)); // counted across the statements of the text

        // Within the budget, reads and mutations go on as before.
        Assert.Equal(100_000L, document.QueryScalar<long>("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT count(*) FROM c"));
        document.Mutate(new Insert(2, "two", 20));
        Assert.Equal(30L, document.QueryScalar<long>("SELECT sum(qty) FROM items"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ARunawayReadOnTheCoordinatorIsStoppedAndItKeepsStepping()
    {
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "read-budget", Reducer = Reducer });
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "read-budget", Reducer = Reducer, Limits = SmallReads });
        client.Mutate(new CreateSchema());
        SyncDriver.Upload(client, coordinator);
        coordinator.StepAll();

        AssertStopped(() => coordinator.Query(Runaway));

        client.Mutate(new Insert(1, "one", 10));
        SyncDriver.Upload(client, coordinator);
        Assert.Equal(1, coordinator.StepAll());
        Assert.Equal(10L, coordinator.Query("SELECT qty FROM items WHERE id = 1")[0][0]);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReadBudgetBelowOneIntervalIsRefusedAtOpen()
    {
        var error = Assert.Throws<SqlSyncException>(() => LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "read-budget",
            Reducer = Reducer,
            Limits = new MutationLimits { MaxVmStepsPerQuery = 10 },
        }));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
    }
}
