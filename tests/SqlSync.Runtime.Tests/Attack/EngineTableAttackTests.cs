using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using SqlSync.Runtime.Tests.Boundaries;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;
using static SqlSync.Runtime.Tests.Attack.Hang;

namespace SqlSync.Runtime.Tests.Attack;

public sealed class EngineTableAttackTests
{
    /// <summary>
    /// A reducer plants a trigger that makes the engine's own bookkeeping write fail: every later step of
    /// the coordinator must still go on (the planting mutation should be refused, or the trigger not fire).
    /// </summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ATriggerThatFailsTheEnginesUpsertDoesNotWedgeTheCoordinator()
    {
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(1,
            "CREATE TRIGGER bomb_u BEFORE UPDATE ON __sqlsync_timelines BEGIN SELECT RAISE(ABORT, 'boom'); END;" +
            "CREATE TRIGGER bomb_i BEFORE INSERT ON __sqlsync_timelines BEGIN SELECT RAISE(ABORT, 'boom'); END"));
        Exception? first = Record.Exception(() => Bounded(() => world.SyncAll()));
        world.B.Mutate(new Run(10, "SELECT 1"));
        Exception? second = Record.Exception(() => Bounded(() => world.SyncAll()));
        Exception? third = null;
        if (second is not null)
        {
            world.RestartCoordinator();
            third = Record.Exception(() => Bounded(() => world.SyncAll()));
        }

        var rows = BoundaryWorld.Rows(world.Coordinator.Query);
        Assert.True(second is null && rows.Contains("10:before"),
            $"first sync: {first?.Message}\nsecond sync: {second?.Message}\nafter restart: {third?.Message}\nrows: {string.Join(",", rows)}");
    }
}
