using SqlSync.Documents;
using SqlSync.Runtime.Tests.Boundaries;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Attack;

public sealed class AttackDetailTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Boundaries")]
    public void CoordinatorQueryWriteIsPublishedToClients()
    {
        using var world = new BoundaryWorld();
        var refused = Assert.Throws<SqlSyncException>(() => world.Coordinator.Query("INSERT INTO t(id, v) VALUES(99, 'from-query') RETURNING id"));
        Assert.Contains("read API does not write", refused.Message, StringComparison.Ordinal);
        world.A.Mutate(new Run(1, "SELECT 1"));
        world.SyncAll();
        output.WriteLine("B: " + string.Join(",", BoundaryWorld.Rows(world.B.Query)));
        using LocalDocument fresh = world.OpenClient();
        SyncDriver.Download(fresh, world.Coordinator);
        output.WriteLine("fresh: " + string.Join(",", BoundaryWorld.Rows(fresh.Query)));
        Assert.DoesNotContain("99:from-query", BoundaryWorld.Rows(fresh.Query));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void LocalQueryWriteDivergesTheClient()
    {
        using var world = new BoundaryWorld();
        Assert.Throws<SqlSyncException>(() => world.A.Query("INSERT INTO t(id, v) VALUES(77, 'from-query')"));
        world.A.Mutate(new Run(1, "SELECT 1"));
        world.SyncAll();
        world.B.Mutate(new Run(5, "SELECT 1"));
        world.SyncAll();
        output.WriteLine("A: " + string.Join(",", BoundaryWorld.Rows(world.A.Query)));
        output.WriteLine("C: " + string.Join(",", BoundaryWorld.Rows(world.Coordinator.Query)));
        output.WriteLine($"checksums A={world.A.StorageChecksum} C={world.Coordinator.StorageChecksum}");
        world.AssertConverged();
        Assert.DoesNotContain("77:from-query", BoundaryWorld.Rows(world.A.Query));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void BookkeepingRewriteLosesAnotherClientsMutations()
    {
        using var world = new BoundaryWorld();
        world.B.Mutate(new Run(100, "SELECT 1"));
        world.SyncAll();
        world.A.Mutate(new Run(1, "UPDATE __sqlsync_timelines SET lsn = 1000000; DELETE FROM __sqlsync_rejections"));
        world.SyncAll();
        output.WriteLine("timelines: " + string.Join(",", world.Coordinator.Query("SELECT timeline_id, lsn FROM __sqlsync_timelines").Select(r => $"{r[0]}={r[1]}")));
        world.B.Mutate(new Run(200, "SELECT 1"));
        world.SyncAll();
        output.WriteLine($"before restart C: {string.Join(",", BoundaryWorld.Rows(world.Coordinator.Query))} B pending={world.B.PendingMutationCount}");
        world.RestartCoordinator();
        world.B.Mutate(new Run(300, "SELECT 1"));
        world.SyncAll();
        output.WriteLine($"after restart C: {string.Join(",", BoundaryWorld.Rows(world.Coordinator.Query))} B pending={world.B.PendingMutationCount} B: {string.Join(",", BoundaryWorld.Rows(world.B.Query))}");
        Assert.Contains("300:before", BoundaryWorld.Rows(world.Coordinator.Query));
    }
}
