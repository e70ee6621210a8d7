using SqlSync.Documents;

namespace SqlSync.Benchmarks;

/// <summary>
/// Local <c>Mutate</c> (one single-row INSERT mutation = one transaction) against raw SQLite doing one
/// transaction per INSERT: in memory, and durable (file journals with fsync vs WAL with synchronous=FULL).
/// </summary>
internal static class LocalMutateBench
{
    public const string RawMemory = "raw SQLite :memory:", RawWal = "raw SQLite WAL/FULL";
    public const string LocalMemory = "local Mutate, memory journals", LocalFile = "local Mutate, file journals + fsync";

    public static double RawMemoryTrial(int ops)
    {
        using var db = RawSqlite.OpenInMemory();
        double rate = Timing.OpsPerSecond(ops, id => db.InsertInOwnTransaction(id, BenchMutations.RowText));
        Timing.Expect(db.Count(), ops + Math.Max(1, ops / 10), "raw row count");
        return rate;
    }

    public static double RawWalTrial(int ops)
    {
        using var temp = new TempRoot("raw-wal");
        using var db = RawSqlite.OpenWalFull(temp.Sub("bench.db"));
        double rate = Timing.OpsPerSecond(ops, id => db.InsertInOwnTransaction(id, BenchMutations.RowText));
        Timing.Expect(db.Count(), ops + Math.Max(1, ops / 10), "raw row count");
        return rate;
    }

    public static double LocalMemoryTrial(int ops) => LocalTrial(ops, directory: null);

    public static double LocalFileTrial(int ops)
    {
        using var temp = new TempRoot("local");
        return LocalTrial(ops, temp.Sub("doc"));
    }

    public static LocalDocument OpenLocal(string? directory) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "bench",
        Reducer = BenchMutations.Reducer,
        Directory = directory,
        FsyncOnAppend = true,
    });

    /// <summary>Local <c>Mutate</c> with memory journals for <paramref name="duration"/>, in fresh documents of 200,000 rows; returns mutations per second.</summary>
    public static double ProfileLoop(TimeSpan duration)
    {
        long done = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            using LocalDocument document = OpenLocal(directory: null);
            document.Mutate(new BenchMutations.CreateTable());
            for (long id = 0; id < 200_000; id++)
            {
                document.Mutate(new BenchMutations.InsertRow(id, BenchMutations.RowText));
            }

            done += 200_000;
        }

        return done / clock.Elapsed.TotalSeconds;
    }

    private static double LocalTrial(int ops, string? directory)
    {
        using LocalDocument document = OpenLocal(directory);
        document.Mutate(new BenchMutations.CreateTable());
        double rate = Timing.OpsPerSecond(ops, id => document.Mutate(new BenchMutations.InsertRow(id, BenchMutations.RowText)));
        Timing.Expect(document.QueryScalar<long>("SELECT count(*) FROM t"), ops + Math.Max(1, ops / 10), "local row count");
        return rate;
    }
}
