using System.Diagnostics;
using SqlSync.Documents;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 15, point 4: durable <see cref="LocalDocument.MutateAsync"/> (file journals, fsync, group commit) with 1, 4 and 16
/// concurrent writers against raw SQLite WAL/FULL with the same writers (a connection per writer, one transaction per
/// INSERT, every commit fsyncing the WAL); and how long MutateAsync blocks its caller (the call, not the fsync it awaits).
/// Run: <c>dotnet run -c Release --project bench/SqlSync.Benchmarks -- durable-mutate [--quick]</c>. Prints; the figures go
/// to docs/benchmarks.md by hand.
/// </summary>
internal static class DurableMutateBench
{
    /// <param name="blockingOnly">Only the blocking time and its causes (<c>--blocking-only</c>), not the writers' throughput.</param>
    public static async Task<int> RunAsync(bool quick, Action<string> print, bool blockingOnly = false)
    {
        int perWriterBase = quick ? 100 : 400;
        int trials = quick ? 1 : 3;
        MachineInfo machine = MachineInfo.Describe();
        print($"durable MutateAsync: {machine.Cpu}, {machine.Cores} cores, {machine.Memory}, {machine.Os}, {machine.Dotnet}, SQLite {machine.Sqlite}");
        print($"load average before: {MachineInfo.LoadAverage()}");
        print("| writers | raw SQLite WAL/FULL (ops/s) | MutateAsync, file journals (ops/s) | ratio | fsyncs per mutation |");
        print("| ---: | ---: | ---: | ---: | ---: |");
        foreach (int writers in blockingOnly ? [] : new[] { 1, 4, 16 })
        {
            int perWriter = Math.Max(perWriterBase / writers * 4, 50);
            var raw = new List<double>();
            var ours = new List<double>();
            double fsyncsPerMutation = 0;
            for (int t = 0; t < trials; t++)
            {
                raw.Add(RawWal(writers, perWriter));
                (double rate, double perMutation) = await DurableAsync(writers, perWriter);
                ours.Add(rate);
                fsyncsPerMutation = perMutation;
            }

            double r = Samples.MedianOf(raw), o = Samples.MedianOf(ours);
            print($"| {writers} | {r:N0} | {o:N0} | {o / r:N2}x | {fsyncsPerMutation:N2} |");
        }

        int calls = quick ? 2_000 : 20_000;
        var awaitedCauses = new BlockingProbe(calls);
        var pipelinedCauses = new BlockingProbe(calls);
        (double p50, double p99, double max) awaited = await BlockingAsync(calls, awaitEach: true, awaitedCauses);
        (double p50, double p99, double max) pipelined = await BlockingAsync(calls, awaitEach: false, pipelinedCauses);
        print("");
        print("| MutateAsync blocks its caller (single-row INSERT, file journals + fsync) | p50 (µs) | p99 (µs) | max (µs) |");
        print("| --- | ---: | ---: | ---: |");
        print($"| each call awaited before the next ({calls:N0} calls) | {awaited.p50:N1} | {awaited.p99:N1} | {awaited.max:N0} |");
        print($"| calls back to back, awaited at the end (the flusher fsyncs meanwhile) | {pipelined.p50:N1} | {pipelined.p99:N1} | {pipelined.max:N0} |");
        var referenceCauses = new BlockingProbe(calls);
        (double p50, double p99, double max) reference = SyncMemoryBlocking(calls, referenceCauses);
        print($"| reference: synchronous Mutate, memory journals (no I/O at all) | {reference.p50:N1} | {reference.p99:N1} | {reference.max:N0} |");
        print("");
        awaitedCauses.Report("each call awaited", print);
        print("");
        pipelinedCauses.Report("calls back to back", print);
        print("");
        referenceCauses.Report("reference, synchronous Mutate on memory journals", print);
        print($"load average after: {MachineInfo.LoadAverage()}");
        return 0;
    }

    private static double RawWal(int writers, int perWriter)
    {
        using var temp = new TempRoot("raw-wal-writers");
        string path = temp.Sub("bench.db");
        var connections = Enumerable.Range(0, writers)
            .Select(_ => RawSqlite.OpenWith(path, null, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=60000"))
            .ToList();
        try
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
            {
                for (int i = 0; i < perWriter; i++)
                {
                    connections[w].InsertInOwnTransaction(((long)w << 32) + i, BenchMutations.RowText);
                }
            });
            double rate = writers * perWriter / clock.Elapsed.TotalSeconds;
            Timing.Expect(connections[0].Count(), (long)writers * perWriter, "raw row count");
            return rate;
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    private static async Task<(double Rate, double FsyncsPerMutation)> DurableAsync(int writers, int perWriter)
    {
        using var temp = new TempRoot("durable-writers");
        using LocalDocument document = LocalMutateBench.OpenLocal(temp.Sub("doc"));
        document.Mutate(new BenchMutations.CreateTable());
        long flushesBefore = document.TimelineFlushes;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < perWriter; i++)
            {
                await document.MutateAsync(new BenchMutations.InsertRow(((long)w << 32) + i, BenchMutations.RowText));
            }
        })));
        double rate = writers * perWriter / clock.Elapsed.TotalSeconds;
        Timing.Expect(document.QueryScalar<long>("SELECT count(*) FROM t"), (long)writers * perWriter, "durable row count");
        return (rate, (document.TimelineFlushes - flushesBefore) / (double)(writers * perWriter));
    }

    /// <summary>The same single-row mutation, synchronous, on memory journals: what the machine allows without any I/O.</summary>
    private static (double P50, double P99, double Max) SyncMemoryBlocking(int calls, BlockingProbe probe)
    {
        using LocalDocument document = LocalMutateBench.OpenLocal(directory: null);
        document.Mutate(new BenchMutations.CreateTable());
        for (int i = 0; i < 500; i++)
        {
            document.Mutate(new BenchMutations.InsertRow(-1 - i, BenchMutations.RowText));
        }

        var micros = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            BlockingProbe.Mark mark = BlockingProbe.Begin(document);
            long start = Stopwatch.GetTimestamp();
            document.Mutate(new BenchMutations.InsertRow(i, BenchMutations.RowText));
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            probe.End(mark, micros[i]);
        }

        Array.Sort(micros);
        return (micros[calls / 2], micros[(int)(calls * 0.99)], micros[^1]);
    }

    private static async Task<(double P50, double P99, double Max)> BlockingAsync(int calls, bool awaitEach, BlockingProbe probe)
    {
        using var temp = new TempRoot("durable-blocking");
        using LocalDocument document = LocalMutateBench.OpenLocal(temp.Sub("doc"));
        document.Mutate(new BenchMutations.CreateTable());
        for (int i = 0; i < 500; i++)
        {
            await document.MutateAsync(new BenchMutations.InsertRow(-1 - i, BenchMutations.RowText)); // warm up
        }

        var micros = new double[calls];
        var pending = new List<Task>(awaitEach ? 0 : calls);
        for (int i = 0; i < calls; i++)
        {
            BlockingProbe.Mark mark = BlockingProbe.Begin(document);
            long start = Stopwatch.GetTimestamp();
            ValueTask<SqlSync.Journals.Lsn> durable = document.MutateAsync(new BenchMutations.InsertRow(i, BenchMutations.RowText));
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            probe.End(mark, micros[i]);
            if (awaitEach)
            {
                await durable;
            }
            else
            {
                pending.Add(durable.AsTask());
            }
        }

        await Task.WhenAll(pending);
        Array.Sort(micros);
        return (micros[calls / 2], micros[(int)(calls * 0.99)], micros[^1]);
    }
}
