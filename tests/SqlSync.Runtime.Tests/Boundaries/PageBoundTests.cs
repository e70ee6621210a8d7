using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Boundaries.SqlMutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// A local mutation's page budget is checked on the exact count, but the cache flush that makes it exact is
/// skipped when pages written plus pages cached cannot exceed the budget. These mutations stay wholly in
/// SQLite's page cache (nothing spills), so a check on the pending layer alone would pass them all: the
/// verdicts show the bound counts the cached pages.
/// </summary>
public sealed class PageBoundTests
{
    /// <summary>About one page per row: a 4,000-character value each.</summary>
    private static string Rows(long first, int count) =>
        $"INSERT INTO t(id, v) WITH RECURSIVE c(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM c WHERE x < {first + count - 1}) SELECT x, hex(zeroblob(2000)) FROM c";

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AMutationJustOverItsPageBudgetIsRefusedThoughAllItsPagesAreStillCached()
    {
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "page-bound",
            Reducer = Reducer,
            Limits = new MutationLimits { MaxPagesPerMutation = 40 },
        });
        document.Mutate(new Create());

        document.Mutate(new Run(10_000, Rows(1_000, 20)));
        var error = Assert.Throws<SqlSyncException>(() => document.Mutate(new Run(20_000, Rows(2_000, 45))));
        Assert.Equal(SqlSyncErrorCode.MutationOverBudget, Assert.IsType<SqlSyncException>(error.InnerException).Code);
        Assert.Contains("over 40 pages", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM t WHERE id >= 2000 AND id < 3000"));

        // Many clean pages in the cache push the bound over the budget: then the exact count decides, and a
        // mutation under the budget still passes.
        Assert.Equal(20L, document.QueryScalar<long>("SELECT count(v) FROM t WHERE id >= 1000 AND id < 2000"));
        document.Mutate(new Run(30_000, Rows(3_000, 20)));
        Assert.Equal(20L, document.QueryScalar<long>("SELECT count(*) FROM t WHERE id >= 3000 AND id < 4000"));
    }
}
