using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using SqlSync.Runtime.Tests.Boundaries;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Attack;

/// <summary>Hostile probes of issue 12's sandbox, budgets and "only the engine writes".</summary>
public sealed class AttackTests
{
    private static T Bounded<T>(Func<T> action, int seconds = 30)
    {
        var task = Task.Run(action);
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"did not finish within {seconds} s (hang)");
        return task.Result;
    }

    /// <summary>The coordinator's read API runs a write: the row is then published to every client, though no mutation made it.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void CoordinatorQueryCannotWriteIntoThePublishedState()
    {
        using var world = new BoundaryWorld();
        try
        {
            world.Coordinator.Query("INSERT INTO t(id, v) VALUES(99, 'from-query') RETURNING id");
        }
        catch (SqlSyncException)
        {
        }

        world.A.Mutate(new Run(1, "SELECT 1"));
        world.SyncAll();
        Assert.DoesNotContain("99:from-query", BoundaryWorld.Rows(world.Coordinator.Query));
        Assert.DoesNotContain("99:from-query", BoundaryWorld.Rows(world.B.Query));
    }

    /// <summary>A client's read API runs a write: the client's state then holds a row no mutation made.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void LocalQueryCannotWrite()
    {
        using var world = new BoundaryWorld();
        try
        {
            world.A.Query("DELETE FROM t; INSERT INTO t(id, v) VALUES(77, 'from-query'); SELECT 1");
        }
        catch (SqlSyncException)
        {
        }

        Assert.DoesNotContain("77:from-query", BoundaryWorld.Rows(world.A.Query));
    }

    /// <summary>A persistent trigger a reducer creates on the engine's own table runs when the engine writes, outside every budget.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ATriggerOnTheEnginesTimelineTableDoesNotRunEngineTimeWrites()
    {
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(1,
            "CREATE TRIGGER evil AFTER UPDATE ON __sqlsync_timelines BEGIN INSERT OR REPLACE INTO t(id, v) VALUES(666, 'engine-time'); END"));
        world.SyncAll();
        world.B.Mutate(new Run(10, "SELECT 1"));
        world.SyncAll();
        // Row 666 is written by the engine's bookkeeping, not by any reducer.
        Assert.DoesNotContain("666:engine-time", BoundaryWorld.Rows(world.Coordinator.Query));
    }

    /// <summary>Same trigger, but its body is a long computation: the engine's UPSERT runs it with no step budget.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ATriggerOnTheEnginesTableIsHeldToTheStepBudget()
    {
        var limits = new MutationLimits { MaxVmStepsPerMutation = 200_000 };
        using var world = new BoundaryWorld(limits);
        world.A.Mutate(new Run(1,
            "CREATE TRIGGER slow AFTER UPDATE ON __sqlsync_timelines BEGIN " +
            "INSERT OR REPLACE INTO t(id, v) SELECT 555, count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT x FROM c); END"));
        Bounded(() => { world.SyncAll(); return 0; }, 60);
        world.B.Mutate(new Run(10, "SELECT 1"));
        Bounded(() => { world.SyncAll(); return 0; }, 60);
        // 3,000,000 iterations are far over 200,000 VM steps: nothing should have let them run.
        Assert.DoesNotContain("555:3000000", BoundaryWorld.Rows(world.Coordinator.Query));
    }

    /// <summary>A reducer rewrites another timeline's applied LSN in the engine's table.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReducerCannotRewriteTheEnginesBookkeeping()
    {
        using var world = new BoundaryWorld();
        world.B.Mutate(new Run(100, "SELECT 1"));
        world.SyncAll();
        world.A.Mutate(new Run(1, "UPDATE __sqlsync_timelines SET lsn = 1000000; DELETE FROM __sqlsync_rejections"));
        world.SyncAll();
        world.RestartCoordinator();
        world.B.Mutate(new Run(200, "SELECT 1"));
        world.SyncAll();
        var rows = BoundaryWorld.Rows(world.Coordinator.Query);
        Assert.True(rows.Contains("200:before"),
            $"B's mutation after the restart was dropped: coordinator rows {string.Join(",", rows)}; B pending {world.B.PendingMutationCount}; B rows {string.Join(",", BoundaryWorld.Rows(world.B.Query))}");
    }

    /// <summary>A TEMP trigger outlives its mutation on the connection: the same mutation does different things before and after a restart.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ATempTriggerDoesNotOutliveItsMutation()
    {
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(1,
            "CREATE TEMP TRIGGER ghost AFTER INSERT ON main.t WHEN new.id < 1000 BEGIN INSERT OR REPLACE INTO main.t(id, v) VALUES(new.id + 1000, 'ghost'); END"));
        world.SyncAll();
        world.B.Mutate(new Run(10, "SELECT 1"));
        world.SyncAll();
        var rows = BoundaryWorld.Rows(world.Coordinator.Query);
        Assert.DoesNotContain("1010:ghost", rows);
    }

    /// <summary>
    /// A TEMP table would persist across mutations on the connection (state outside the document feeding a
    /// reducer): refused, on both sides, and the replicas converge.
    /// </summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ATempTableCannotCarryStateBetweenMutations()
    {
        using var world = new BoundaryWorld();
        const string counter = "CREATE TEMP TABLE IF NOT EXISTS c(n); INSERT INTO c VALUES(1); INSERT OR REPLACE INTO main.t(id, v) SELECT 500, count(*) FROM c";
        world.A.Mutate(new Run(1, counter));
        world.A.Mutate(new Run(3, counter));
        world.SyncAll();
        Assert.Equal(2, world.Rejections().Count(r => r.Contains("CREATE TEMP", StringComparison.Ordinal)));
        Assert.Empty(BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();
    }

    /// <summary>The read-only connection string edited to ReadWriteCreate: every write must fail.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ReadWriteCreateReaderCannotWrite()
    {
        using var world = new BoundaryWorld();
        string cs = world.Coordinator.ReadOnlyConnectionString.Replace("Mode=ReadOnly", "Mode=ReadWriteCreate", StringComparison.Ordinal);
        Exception? error = null;
        try
        {
            using var connection = new SqliteConnection(cs);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO t(id, v) VALUES(42, 'reader')";
            command.ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            error = ex;
        }

        world.A.Mutate(new Run(1, "SELECT 1"));
        world.SyncAll();
        Assert.DoesNotContain("42:reader", BoundaryWorld.Rows(world.B.Query));
        Assert.NotNull(error);
    }

    /// <summary>Guessing the writer URI parameter.</summary>
    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("sqlsync_writer=1")]
    [InlineData("sqlsync_writer=true")]
    [InlineData("writer=1")]
    public void AGuessedWriterParameterCannotWrite(string parameter)
    {
        using var world = new BoundaryWorld();
        string cs = world.Coordinator.ReadOnlyConnectionString
            .Replace("Mode=ReadOnly", "Mode=ReadWrite", StringComparison.Ordinal)
            .Replace("?vfs=", "?" + parameter + "&vfs=", StringComparison.Ordinal);
        try
        {
            using var connection = new SqliteConnection(cs);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO t(id, v) VALUES(43, 'guess')";
            command.ExecuteNonQuery();
        }
        catch (Exception)
        {
        }

        world.A.Mutate(new Run(1, "SELECT 1"));
        world.SyncAll();
        Assert.DoesNotContain("43:guess", BoundaryWorld.Rows(world.B.Query));
    }
}
