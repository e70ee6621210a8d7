using SqlSync.Documents;

namespace SqlSync.Benchmarks;

/// <summary>
/// The prepared-statement cache on a workload of <see cref="DistinctTexts"/> distinct SQL texts run in
/// rotation (point queries by key, as an app with many screens issues them), at several cache sizes: off,
/// the default, and one that holds the whole rotation.
/// </summary>
internal static class StatementCacheBench
{
    public const int DistinctTexts = 1_000;
    private const int Rows = 1_000;

    /// <summary>The sizes compared: off, the default (LRU: a rotation wider than the cache misses every time), the working set.</summary>
    public static readonly int[] Sizes = [0, new LocalDocumentOptions { DocumentId = "x", Reducer = BenchMutations.Reducer }.StatementCacheSize, 1_024];

    public static string Name(int size) => size == 0 ? "statement cache off" : $"statement cache {size:N0}";

    /// <summary>Queries per second over <paramref name="ops"/> queries, and the hit ratio the cache reported.</summary>
    public static (double Rate, double HitRatio) Trial(int ops, int cacheSize)
    {
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "bench-statements",
            Reducer = BenchMutations.Reducer,
            StatementCacheSize = cacheSize,
        });
        document.Mutate(new BenchMutations.CreateTable());
        for (long id = 1; id <= Rows; id++)
        {
            document.Mutate(new BenchMutations.InsertRow(id, BenchMutations.RowText));
        }

        // Distinct texts that do the same work: each names its own column alias.
        string[] texts = Enumerable.Range(0, DistinctTexts)
            .Select(i => $"SELECT length(v) AS c{i} FROM t WHERE id = ?1")
            .ToArray();
        StatementCacheStatistics before = document.StatementCacheStatistics;
        double rate = Timing.OpsPerSecond(ops, n =>
        {
            long length = document.QueryScalar<long>(texts[n % DistinctTexts], n % Rows + 1);
            if (length != BenchMutations.RowText.Length)
            {
                throw new InvalidOperationException($"row {n % Rows + 1} has length {length}");
            }
        });
        StatementCacheStatistics after = document.StatementCacheStatistics;
        long hits = after.Hits - before.Hits, misses = after.Misses - before.Misses;
        return (rate, hits + misses == 0 ? 0 : (double)hits / (hits + misses));
    }
}
