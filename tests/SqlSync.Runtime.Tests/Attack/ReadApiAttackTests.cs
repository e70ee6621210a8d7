using SqlSync.Documents;
using SqlSync.Runtime.Tests.Boundaries;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Attack;

public sealed class ReadApiAttackTests
{
    /// <summary>A read whose later statement fails: the earlier write stays although the call threw.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void AFailingReadLeavesNoWriteBehind()
    {
        using var world = new BoundaryWorld();
        Assert.ThrowsAny<SqlSyncException>(() => world.Coordinator.Query("INSERT INTO t(id, v) VALUES(88, 'half'); SELECT no_such_column FROM t"));
        world.A.Mutate(new Run(1, "SELECT 1"));
        world.SyncAll();
        Assert.DoesNotContain("88:half", BoundaryWorld.Rows(world.B.Query));
    }
}

public sealed class ReadApiMessageTests
{
    /// <summary>The issue asks refusals to name what was refused; the read API gets a bare SQLITE_AUTH.</summary>
    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("PRAGMA writable_schema = ON", "writable_schema")]
    [InlineData("ATTACH DATABASE ':memory:' AS other", "ATTACH")]
    [InlineData("BEGIN", "BEGIN")]
    public void AReadApiRefusalNamesWhatWasRefused(string sql, string named)
    {
        using var world = new BoundaryWorld();
        var error = Assert.ThrowsAny<SqlSyncException>(() => world.Coordinator.Query(sql));
        Assert.Contains(named, error.Message.Replace("(in: " + sql + ")", "", StringComparison.Ordinal).Replace("in: " + sql, "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }
}
