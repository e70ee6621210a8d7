using SqlSync.Documents;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// A mutation over its budget of SQLite VM steps or pages is stopped, rolled back and reported locally,
/// rejected with its reason by the coordinator, and never run again: the document goes on, the replicas
/// converge, and a restarted coordinator does not run it again.
/// </summary>
public sealed class BudgetTests
{
    /// <summary>Counts to 10^18: without a budget it runs for centuries.</summary>
    private const string Runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000000000) SELECT count(*) FROM c";

    /// <summary>The same, writing each row: its interruption makes SQLite roll back the whole transaction.</summary>
    private const string RunawayWrite = "INSERT INTO t(id, v) WITH RECURSIVE c(x) AS (SELECT 1000 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000000000) SELECT x, 'loop' FROM c";

    /// <summary>About 300 pages: 300 rows of 4 KB each.</summary>
    private const string ThreeHundredPages = "INSERT INTO t(id, v) WITH RECURSIVE c(x) AS (SELECT 1000 UNION ALL SELECT x + 1 FROM c WHERE x < 1299) SELECT x, hex(zeroblob(2000)) FROM c";

    /// <summary>About 30 pages.</summary>
    private static string ThirtyPages(long first) =>
        $"INSERT INTO t(id, v) WITH RECURSIVE c(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM c WHERE x < {first + 29}) SELECT x, hex(zeroblob(2000)) FROM c";

    private static readonly MutationLimits SmallSteps = new() { MaxVmStepsPerMutation = 2_000_000 };

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData(Runaway)]
    [InlineData(RunawayWrite)]
    public void ALocalMutationOverItsStepBudgetFailsAndIsRolledBack(string sql)
    {
        using var world = new BoundaryWorld(SmallSteps);
        using LocalDocument client = world.OpenClient(keepFailures: false);
        SyncDriver.Download(client, world.Coordinator);
        client.Mutate(new Run(1, "SELECT 1"));

        var error = Assert.Throws<SqlSyncException>(() => client.Mutate(new Run(10, sql, Ending.Swallow)));
        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        Assert.Equal(SqlSyncErrorCode.MutationOverBudget, Assert.IsType<SqlSyncException>(error.InnerException).Code);
        Assert.Contains("2,000,000 SQLite VM steps", error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "1:before", "2:after" }, BoundaryWorld.Rows(client.Query));
        Assert.Equal(1, client.PendingMutationCount);
    }

    /// <summary>
    /// One value may be no larger than a mutation may write: SQLite would otherwise build a 1 GB zeroblob in
    /// memory before any page budget sees a page of it. Refused on both sides, and the replicas converge.
    /// </summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void AValueLargerThanAMutationMayWriteIsRefusedBeforeItIsBuilt()
    {
        const string Huge = "SELECT length(zeroblob(2000000))"; // 2 MB, over a 1 MiB budget
        using var world = new BoundaryWorld(new MutationLimits { MaxPagesPerMutation = 256 });
        using (LocalDocument client = world.OpenClient(keepFailures: false))
        {
            SyncDriver.Download(client, world.Coordinator);
            var local = Assert.Throws<SqlSyncException>(() => client.Mutate(new Run(10, Huge)));
            Assert.Equal(SqlSyncErrorCode.MutationFailed, local.Code);
            Assert.Contains("string or blob too big", local.Message, StringComparison.Ordinal);
        }

        world.A.Mutate(new Run(20, Huge));
        world.A.Mutate(new Run(30, "SELECT length(zeroblob(1000000))")); // under the budget: fine
        world.SyncAll();

        string error = Assert.Single(world.Rejections());
        Assert.Contains("string or blob too big", error, StringComparison.Ordinal);
        Assert.Equal(new[] { "30:before", "31:after" }, BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData(Runaway, 1)]
    [InlineData(Runaway, 256)]
    [InlineData(RunawayWrite, 1)]
    [InlineData(RunawayWrite, 256)]
    public void TheCoordinatorRejectsAMutationOverItsStepBudgetAndGoesOn(string sql, int batchSize)
    {
        using var world = new BoundaryWorld(SmallSteps);
        world.A.Mutate(new Run(10, "SELECT 1"));
        world.A.Mutate(new Run(20, sql, Ending.Swallow));
        world.B.Mutate(new Run(30, "SELECT 1"));
        world.A.Mutate(new Run(40, "SELECT 1"));
        world.SyncAll(batchSize);
        world.SyncAll(batchSize);

        string error = Assert.Single(world.Rejections());
        Assert.Contains(nameof(SqlSyncErrorCode.MutationOverBudget), error, StringComparison.Ordinal);
        Assert.Contains("VM steps", error, StringComparison.Ordinal);
        string[] expected = { "10:before", "11:after", "30:before", "31:after", "40:before", "41:after" };
        Assert.Equal(expected, BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();

        world.RestartCoordinator();
        Assert.Equal(0, world.Coordinator.QueuedMutationCount);
        Assert.Equal(0, world.Coordinator.StepAll());
        world.B.Mutate(new Run(50, "SELECT 1"));
        world.SyncAll(batchSize);
        Assert.Single(world.Rejections());
        world.AssertConverged();
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AMutationOverItsPageBudgetIsRefusedLocallyAndRejectedByTheCoordinator()
    {
        var limits = new MutationLimits { MaxPagesPerMutation = 64 };
        using var world = new BoundaryWorld(limits);
        using LocalDocument strict = world.OpenClient(keepFailures: false);
        SyncDriver.Download(strict, world.Coordinator);
        var error = Assert.Throws<SqlSyncException>(() => strict.Mutate(new Run(10, ThreeHundredPages)));
        Assert.Equal(SqlSyncErrorCode.MutationOverBudget, Assert.IsType<SqlSyncException>(error.InnerException).Code);
        Assert.Contains("over 64 pages", error.Message, StringComparison.Ordinal);
        Assert.Empty(BoundaryWorld.Rows(strict.Query));

        world.A.Mutate(new Run(10, "SELECT 1"));
        world.A.Mutate(new Run(20, ThreeHundredPages));
        world.B.Mutate(new Run(30, ThirtyPages(5000)));
        world.SyncAll();
        world.SyncAll();

        string rejection = Assert.Single(world.Rejections());
        Assert.Contains("MaxPagesPerMutation", rejection, StringComparison.Ordinal);
        Assert.Equal(0L, world.Coordinator.Query("SELECT count(*) FROM t WHERE id BETWEEN 1000 AND 1299")[0][0]);
        Assert.Equal(30L, world.Coordinator.Query("SELECT count(*) FROM t WHERE id >= 5000")[0][0]);
        world.AssertConverged();

        world.AssertTheRejectionStaysOneAfterARestart();
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ABatchOverTheStepPageBudgetIsSplitAndAMutationAloneOverItIsRejected()
    {
        var limits = new MutationLimits { MaxPagesPerStep = 80 };
        using var world = new BoundaryWorld(limits);
        for (int i = 0; i < 6; i++)
        {
            world.A.Mutate(new Run(10_000 + (i * 100), ThirtyPages(20_000 + (i * 100))));
        }

        world.B.Mutate(new Run(30, ThreeHundredPages));
        world.B.Mutate(new Run(40, "SELECT 1"));
        long entriesBefore = (long)world.Coordinator.StorageRange.Next.Value;
        world.SyncAll();
        world.SyncAll();

        string rejection = Assert.Single(world.Rejections());
        Assert.Contains("MaxPagesPerStep", rejection, StringComparison.Ordinal);
        Assert.Equal(180L, world.Coordinator.Query("SELECT count(*) FROM t WHERE id >= 20000")[0][0]);
        Assert.True((long)world.Coordinator.StorageRange.Next.Value - entriesBefore >= 3, "six 30-page mutations need at least three steps under an 80-page budget");
        world.AssertConverged();

        world.AssertTheRejectionStaysOneAfterARestart();
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ASixtyFourMebibyteStepIsLegalWithTheDefaults()
    {
        // 16,384 rows of 4,000 bytes, one page each: a 64 MiB storage entry from one mutation.
        const string SixtyFourMiB = "INSERT INTO t(id, v) WITH RECURSIVE c(x) AS (SELECT 100000 UNION ALL SELECT x + 1 FROM c WHERE x < 116383) SELECT x, hex(zeroblob(2000)) FROM c";
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(10, SixtyFourMiB));
        ulong next = world.Coordinator.StorageRange.Next.Value;
        world.SyncAll();

        Assert.Empty(world.Rejections());
        Assert.Equal(16_384L, world.Coordinator.Query("SELECT count(*) FROM t WHERE id >= 100000")[0][0]);
        Assert.Equal(next + 1, world.Coordinator.StorageRange.Next.Value);
        world.AssertConverged();
    }
}
