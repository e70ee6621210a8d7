using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// The coordinator notes which entries a step applies before it runs them. An entry in flight at two stops
/// in a row is rejected on the next open instead of run again; after one stop every entry is applied again,
/// each alone, so no innocent mutation is rejected. A stop is simulated by an exception thrown from the
/// step (its fault-injection hook) and a reopen from the file journals.
/// </summary>
public sealed class PoisonPillTests
{
    [Fact]
    [Trait("Category", "Boundaries")]
    public void AnEntryInFlightAtTwoCrashesInARowIsRejectedOnTheNextOpen()
    {
        bool pillRan = false;
        var reducer = new PillReducer(_ => pillRan = true);
        using var world = new BoundaryWorld(reducer: reducer);
        world.A.Mutate(new Run(10, "SELECT 1"));
        world.A.Mutate(new Pill(20));
        world.A.Mutate(new Run(30, "SELECT 1"));
        world.B.Mutate(new Run(40, "SELECT 1"));
        Upload(world);

        int crashes = 0;
        void CrashWhenThePillRan(CoordinatorDocument coordinator) => coordinator.FaultInjection = point =>
        {
            if (point == CoordinatorStepPoint.BeforeSqliteCommit && pillRan)
            {
                pillRan = false;
                crashes++;
                throw new IOException("the pill crashed the process");
            }
        };

        CrashWhenThePillRan(world.Coordinator);
        Assert.Throws<IOException>(() => world.Coordinator.StepAll());
        world.RestartCoordinator();
        CrashWhenThePillRan(world.Coordinator);
        Assert.Empty(world.Rejections());
        Assert.Throws<IOException>(() => world.Coordinator.StepAll()); // the suspects run alone: the pill again
        Assert.Equal(2, crashes);
        Assert.Equal(new[] { "10:before", "11:after" }, BoundaryWorld.Rows(world.Coordinator.Query)); // the innocent before it

        world.RestartCoordinator();
        string rejection = Assert.Single(world.Rejections());
        Assert.Contains(nameof(SqlSyncErrorCode.MutationPoisonPill), rejection, StringComparison.Ordinal);
        CrashWhenThePillRan(world.Coordinator);
        world.SyncAll();
        world.SyncAll();
        Assert.Equal(2, crashes);
        Assert.Equal(new[] { "10:before", "11:after", "30:before", "31:after", "40:before", "41:after" }, BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();

        world.RestartCoordinator();
        Assert.Equal(0, world.Coordinator.StepAll());
        Assert.Single(world.Rejections());
        world.AssertConverged();
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("BeforeSqliteCommit")]
    [InlineData("AfterSqliteCommit")]
    [InlineData("BeforeStorageAppend")]
    public void OneCrashMidStepAppliesEveryEntryAgain(string pointName)
    {
        CoordinatorStepPoint crashAt = Enum.Parse<CoordinatorStepPoint>(pointName);
        bool pillRan = false;
        var reducer = new PillReducer(_ => pillRan = true);
        using var world = new BoundaryWorld(reducer: reducer);
        world.A.Mutate(new Run(10, "SELECT 1"));
        world.A.Mutate(new Pill(20));
        world.B.Mutate(new Run(40, "SELECT 1"));
        Upload(world);

        world.Coordinator.FaultInjection = point =>
        {
            if (point == crashAt && pillRan)
            {
                throw new IOException("killed once");
            }
        };
        Assert.Throws<IOException>(() => world.Coordinator.StepAll());

        world.RestartCoordinator();
        world.SyncAll();
        Assert.Empty(world.Rejections());
        Assert.Equal(new[] { "10:before", "11:after", "20:pill", "40:before", "41:after" }, BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void CrashesInDifferentStepsRejectNothing()
    {
        using var world = new BoundaryWorld(reducer: new PillReducer(null));
        for (int round = 0; round < 3; round++)
        {
            world.A.Mutate(new Run(100 * (round + 1), "SELECT 1"));
            world.B.Mutate(new Run((100 * (round + 1)) + 50, "SELECT 1"));
            Upload(world);
            world.Coordinator.FaultInjection = point =>
            {
                if (point == CoordinatorStepPoint.BeforeSqliteCommit)
                {
                    throw new IOException("killed");
                }
            };
            Assert.Throws<IOException>(() => world.Coordinator.StepAll());
            world.RestartCoordinator();
            world.SyncAll();
        }

        Assert.Empty(world.Rejections());
        Assert.Equal(12, BoundaryWorld.Rows(world.Coordinator.Query).Count);
        world.AssertConverged();
    }

    private static void Upload(BoundaryWorld world)
    {
        Support.SyncDriver.Upload(world.A, world.Coordinator);
        Support.SyncDriver.Upload(world.B, world.Coordinator);
    }
}
