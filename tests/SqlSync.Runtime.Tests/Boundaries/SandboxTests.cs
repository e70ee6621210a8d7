using SqlSync.Documents;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// The reducer sandbox: what a reducer may not run is refused by name, on the client and on the coordinator
/// alike, and nothing the mutation did stays, whatever the reducer did with the error.
/// </summary>
public sealed class SandboxTests
{
    public static TheoryData<string, string> Refused => new()
    {
        { "COMMIT", "COMMIT" },
        { "BEGIN", "BEGIN" },
        { "END", "COMMIT" },
        { "ROLLBACK", "ROLLBACK" },
        { "SAVEPOINT mine", "SAVEPOINT mine" },
        { "RELEASE mine", "RELEASE mine" },
        { "ROLLBACK TO sqlsync_mutation", "ROLLBACK TO sqlsync_mutation" },
        { "ATTACH DATABASE ':memory:' AS other", "ATTACH" },
        { "DETACH DATABASE other", "DETACH" },
        { "SELECT load_extension('libnothing')", "load_extension" },
        { "PRAGMA writable_schema = ON", "writable_schema" },
        { "PRAGMA writable_schema", "writable_schema" },
        { "PRAGMA journal_mode = DELETE", "journal_mode" },
        { "PRAGMA foreign_keys = ON", "foreign_keys" },
        { "PRAGMA user_version = 7", "user_version" },
        { "PRAGMA synchronous = FULL", "synchronous" },
        { "PRAGMA cache_size = 10", "cache_size" },
        { "PRAGMA query_only = 1", "query_only" },
    };

    /// <summary>The read API runs on the writer connection: the same refusals, named in its error too.</summary>
    [Theory]
    [Trait("Category", "Boundaries")]
    [MemberData(nameof(Refused))]
    public void TheReadApiRefusesTheSameSqlByName(string sql, string named)
    {
        using var world = new BoundaryWorld();
        using LocalDocument client = world.OpenClient(keepFailures: false);
        SyncDriver.Download(client, world.Coordinator);

        var error = Assert.Throws<SqlSyncException>(() => client.Query(sql));
        Assert.Contains(error.SqliteResultCode, new int?[] { 1, 23 }); // SQLITE_ERROR for a function, else SQLITE_AUTH
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        if (error.SqliteResultCode == 23)
        {
            Assert.Contains("not authorized: ", error.Message, StringComparison.Ordinal); // SQLite's words, then why
        }

        client.Mutate(new Run(20, "SELECT 1"));
        Assert.Equal(new[] { "20:before", "21:after" }, BoundaryWorld.Rows(client.Query));
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [MemberData(nameof(Refused))]
    public void ALocalMutationRunningRefusedSqlFailsByNameAndLeavesNothing(string sql, string named)
    {
        using var world = new BoundaryWorld();
        using LocalDocument client = world.OpenClient(keepFailures: false);
        SyncDriver.Download(client, world.Coordinator);
        foreach (Ending end in Enum.GetValues<Ending>())
        {
            var error = Assert.Throws<SqlSyncException>(() => client.Mutate(new Run(10, sql, end)));
            Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
            var refusal = Assert.IsType<SqlSyncException>(error.InnerException);
            Assert.Equal(SqlSyncErrorCode.MutationRefused, refusal.Code);
            Assert.Contains(named, error.Message, StringComparison.Ordinal);
            Assert.Contains("rolled back", error.Message, StringComparison.Ordinal);
            Assert.Empty(BoundaryWorld.Rows(client.Query));
            Assert.Equal(0, client.PendingMutationCount);
        }

        // The document is still usable.
        client.Mutate(new Run(20, "SELECT 1"));
        Assert.Equal(new[] { "20:before", "21:after" }, BoundaryWorld.Rows(client.Query));
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [MemberData(nameof(Refused))]
    public void TheCoordinatorRejectsTheSameMutationAndTheReplicasConverge(string sql, string named)
    {
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(10, sql, Ending.Swallow));
        world.B.Mutate(new Run(30, "SELECT 1"));
        world.A.Mutate(new Run(40, "SELECT 1"));
        var rejected = new List<RejectedMutation>();
        world.A.MutationRejected += (_, r) => rejected.Add(r);

        world.SyncAll(batchSize: 1);
        world.SyncAll();

        string error = Assert.Single(world.Rejections());
        Assert.Contains(nameof(SqlSyncErrorCode.MutationRefused), error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Equal(error, Assert.Single(rejected).Error);
        Assert.Equal(new[] { "30:before", "31:after", "40:before", "41:after" }, BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ACommitThenThrowIsRolledBackWholeInABatchToo()
    {
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(30, "SELECT 1"));
        world.A.Mutate(new Run(10, "COMMIT", Ending.Throw));
        world.A.Mutate(new Run(40, "SELECT 1"));
        world.SyncAll();

        Assert.Contains("COMMIT", Assert.Single(world.Rejections()), StringComparison.Ordinal);
        Assert.Equal(new[] { "30:before", "31:after", "40:before", "41:after" }, BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("PRAGMA table_info(t)")]
    [InlineData("PRAGMA index_list(t)")]
    [InlineData("PRAGMA foreign_key_list(t)")]
    [InlineData("PRAGMA user_version")]
    [InlineData("SELECT * FROM pragma_table_info('t')")]
    [InlineData("CREATE TABLE u(x); INSERT INTO t(id, v) VALUES(99, 'x')")]
    public void ReadOnlyPragmasAndOrdinarySqlAreAllowed(string sql)
    {
        using var world = new BoundaryWorld();
        world.A.Mutate(new Run(10, sql));
        world.SyncAll();
        Assert.Empty(world.Rejections());
        Assert.Contains("10:before", BoundaryWorld.Rows(world.Coordinator.Query));
        world.AssertConverged();
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheReadApiIsRefusedStateChangingPragmasToo()
    {
        using var world = new BoundaryWorld();
        Assert.Throws<SqlSyncException>(() => world.A.Query("PRAGMA writable_schema = ON"));
        Assert.Throws<SqlSyncException>(() => world.A.Query("ATTACH DATABASE ':memory:' AS other"));
        Assert.NotEmpty(world.A.Query("PRAGMA table_info(t)"));
    }
}
