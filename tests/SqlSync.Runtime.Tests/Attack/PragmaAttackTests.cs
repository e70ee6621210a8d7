using SqlSync.Runtime.Tests.Boundaries;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Attack;

public sealed class PragmaAttackTests
{
    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("SELECT * FROM pragma_user_version(7)")]
    [InlineData("SELECT * FROM pragma_foreign_keys(1)")]
    [InlineData("SELECT * FROM pragma_recursive_triggers(1)")]
    [InlineData("PRAGMA main.user_version=7")]
    [InlineData("/* c */ pragma USER_VERSION = 7")]
    [InlineData("PRAGMA user_version(7)")]
    [InlineData("PRAGMA foreign_keys(1)")]
    [InlineData("PRAGMA foreign_keys = 'on'")]
    [InlineData("PRAGMA temp.user_version = 7")]
    [InlineData("CREATE TEMP TRIGGER p AFTER INSERT ON main.t BEGIN SELECT * FROM pragma_user_version(7); END; INSERT INTO t VALUES(900, 'p')")]
    public void NoDisguisedPragmaChangesTheCoordinatorsSettings(string sql)
    {
        using var world = new BoundaryWorld();
        string before = Settings(world);
        world.A.Mutate(new Run(1, sql, Ending.Swallow));
        world.SyncAll();
        world.B.Mutate(new Run(10, "SELECT 1"));
        world.SyncAll();
        Assert.Equal(before, Settings(world));
        world.AssertConverged();
    }

    private static string Settings(BoundaryWorld world) =>
        $"user_version={world.Coordinator.Query("PRAGMA user_version")[0][0]} foreign_keys={world.Coordinator.Query("PRAGMA foreign_keys")[0][0]} " +
        $"A.user_version={world.A.Query("PRAGMA user_version")[0][0]}";
}
