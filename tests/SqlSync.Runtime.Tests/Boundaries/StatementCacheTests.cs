using SQLitePCL;
using SqlSync.Documents;
using Xunit;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>The prepared-statement cache is a bounded LRU whose statistics tests and metrics can read.</summary>
public sealed class StatementCacheTests
{
    private static LocalDocument Open(int size) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "cache-tests", Reducer = new ScriptReducer(), FsyncOnAppend = false, StatementCacheSize = size,
    });

    /// <summary>Runs <paramref name="sql"/> and tells whether the cache found it.</summary>
    private static bool Hit(LocalDocument document, string sql)
    {
        StatementCacheStatistics before = document.StatementCacheStatistics;
        document.Query(sql);
        StatementCacheStatistics after = document.StatementCacheStatistics;
        Assert.Equal(1, after.Hits + after.Misses - before.Hits - before.Misses);
        return after.Hits > before.Hits;
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheLeastRecentlyUsedStatementIsEvicted()
    {
        using LocalDocument document = Open(size: 2);
        Assert.Equal(2, document.StatementCacheStatistics.Capacity);
        document.Query("SELECT 0"); // fills the cache with user texts only
        document.Query("SELECT 00");
        long evictions = document.StatementCacheStatistics.Evictions;

        Assert.False(Hit(document, "SELECT 1"));
        Assert.False(Hit(document, "SELECT 2"));
        Assert.True(Hit(document, "SELECT 1"));
        Assert.False(Hit(document, "SELECT 3")); // evicts SELECT 2, the least recently used
        Assert.True(Hit(document, "SELECT 1"));
        Assert.False(Hit(document, "SELECT 2"));

        StatementCacheStatistics statistics = document.StatementCacheStatistics;
        Assert.Equal(2, statistics.Count);
        Assert.Equal(evictions + 4, statistics.Evictions);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void SizeZeroCachesNothingAndStillRunsEverything()
    {
        using LocalDocument document = Open(size: 0);
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE t(x); INSERT INTO t VALUES (1)"));

        Assert.False(Hit(document, "SELECT x FROM t"));
        Assert.False(Hit(document, "SELECT x FROM t"));
        Assert.Equal(1L, document.QueryScalar<long>("SELECT x FROM t"));
        Assert.Equal(new StatementCacheStatistics(0, document.StatementCacheStatistics.Misses, 0, 0, 0), document.StatementCacheStatistics);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TextsOfSeveralStatementsAreNotCached()
    {
        using LocalDocument document = Open(size: 16);
        int count = document.StatementCacheStatistics.Count;

        Assert.False(Hit(document, "SELECT 1; SELECT 2"));
        Assert.False(Hit(document, "SELECT 1; SELECT 2"));
        Assert.Equal(count, document.StatementCacheStatistics.Count);
        Assert.False(Hit(document, "SELECT 1; -- one statement and a comment"));
        Assert.True(Hit(document, "SELECT 1; -- one statement and a comment"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void MutationsHitTheCacheAndTheCoordinatorReportsItsOwn()
    {
        using LocalDocument document = Open(size: 8);
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE t(x)"));
        long hits = document.StatementCacheStatistics.Hits;
        for (int i = 0; i < 10; i++)
        {
            document.Mutate(ScriptReducer.RunScript("INSERT INTO t VALUES (1)"));
        }

        Assert.True(document.StatementCacheStatistics.Hits >= hits + 9); // the INSERT (BEGIN and COMMIT are the sandbox's own statements)

        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = "cache-tests", Reducer = new ScriptReducer(), StatementCacheSize = 5,
        });
        Assert.Equal(5, coordinator.StatementCacheStatistics.Capacity);
        Assert.True(coordinator.StatementCacheStatistics.Misses > 0);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ANegativeSizeIsRefused()
    {
        var error = Assert.Throws<SqlSyncException>(() => Open(size: -1));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
        Assert.Throws<SqlSyncException>(() => CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = "cache-tests", Reducer = new ScriptReducer(), StatementCacheSize = -1,
        }));
    }
}

/// <summary>Alone: it measures SQLite's process-wide heap, which parallel tests would move.</summary>
[CollectionDefinition(nameof(SqliteHeapGroup), DisableParallelization = true)]
public sealed class SqliteHeapGroup
{
}

[Collection(nameof(SqliteHeapGroup))]
public sealed class StatementCacheHeapTests
{
    [Fact]
    [Trait("Category", "Boundaries")]
    public void DistinctTextsLeaveSqlitesHeapBounded()
    {
        using var document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "cache-heap", Reducer = new ScriptReducer(), FsyncOnAppend = false,
        });
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE t(x INTEGER PRIMARY KEY, y TEXT); INSERT INTO t VALUES (1, 'one')"));
        long before = raw.sqlite3_memory_used();

        for (int i = 0; i < 100_000; i++)
        {
            document.Query($"SELECT y, x + {i} FROM t WHERE x = {i % 3} OR y = 'v{i}'");
        }

        long grown = raw.sqlite3_memory_used() - before;
        StatementCacheStatistics statistics = document.StatementCacheStatistics;
        Assert.True(grown < 24L << 20, $"SQLite's heap grew by {grown >> 20} MiB over 100,000 distinct texts.");
        Assert.Equal(statistics.Capacity, statistics.Count);
        Assert.True(statistics.Evictions >= 100_000 - statistics.Capacity);
    }
}
