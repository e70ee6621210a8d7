using static SqlSync.Benchmarks.LocalMutateBench;

namespace SqlSync.Benchmarks;

/// <summary>The engine benchmarks, side by side with raw SQLite in one run, checked against the targets.</summary>
internal static class EngineRun
{
    private const double MiB = 1024.0 * 1024.0;

    /// <summary>Issue 12 raised the local Mutate target from 0.6x to 0.7x raw :memory:.</summary>
    private const double LocalMemoryTarget = 0.7;

    /// <summary>The scenario groups, in run order; <c>--only NAME[,NAME]</c> picks some of them.</summary>
    public static readonly string[] Groups = ["local", "local-memory", "coordinator", "rebase", "memory", "statements", "breakdown"];

    public static EngineReport Run(BenchSettings settings, IReadOnlySet<string> only, Action<string> log)
    {
        var report = new EngineReport();
        bool Wanted(string group) => only.Count == 0 || only.Contains(group);
        if (Wanted("local")) LocalMutations(settings, report, log);
        else if (only.Contains("local-memory")) LocalMemoryMutations(settings, report, log); // the in-memory pair alone: a quick A/B
        if (Wanted("coordinator")) Coordinator(settings, report, log);
        if (Wanted("rebase")) Rebase(settings, report, log);
        if (Wanted("memory")) Memory(settings, report, log);
        if (Wanted("statements")) Statements(settings, report, log);
        if (Wanted("breakdown"))
        {
            log("Breakdown (ablation) of one local Mutate and of coordinator steps (µs per INSERT)");
            report.Breakdown = Breakdown.Run(settings.MemoryOpsEngine, settings.Rounds, log);
        }

        return report;
    }

    private static void LocalMutations(BenchSettings s, EngineReport report, Action<string> log)
    {
        log("Local Mutate vs raw SQLite, one transaction per INSERT (tx/s)");
        Dictionary<string, Samples> results = new Rounds()
            .Add(RawMemory, () => RawMemoryTrial(s.MemoryOpsRaw))
            .Add(LocalMemory, () => LocalMemoryTrial(s.MemoryOpsEngine))
            .Add(RawWal, () => RawWalTrial(s.FileOps))
            .Add(LocalFile, () => LocalFileTrial(s.FileOps))
            .Run(s.WarmupRounds, s.Rounds, log);
        foreach (string name in new[] { RawMemory, LocalMemory, RawWal, LocalFile })
        {
            report.AddFigure(name, "tx/s", results[name]);
        }

        Samples memoryRatio = Rounds.Ratio(results[LocalMemory], results[RawMemory]);
        Samples fileRatio = Rounds.Ratio(results[LocalFile], results[RawWal]);
        report.AddFigure("ratio: local Mutate (memory) / raw :memory:", "x", memoryRatio);
        report.AddFigure("ratio: local Mutate (file+fsync) / raw WAL/FULL", "x", fileRatio);
        report.AddTarget("Local Mutate, memory journals vs raw :memory:", memoryRatio.Median, LocalMemoryTarget, atLeast: true, "x",
            $"{results[LocalMemory].Median:N0} vs {results[RawMemory].Median:N0} tx/s");
        report.AddTarget("Durable Mutate (file journals, fsync) vs raw WAL/FULL", fileRatio.Median, 0.8, atLeast: true, "x",
            $"{results[LocalFile].Median:N0} vs {results[RawWal].Median:N0} tx/s");
    }

    private static void LocalMemoryMutations(BenchSettings s, EngineReport report, Action<string> log)
    {
        log("Local Mutate (memory journals) vs raw SQLite :memory:, one transaction per INSERT (tx/s)");
        Dictionary<string, Samples> results = new Rounds()
            .Add(RawMemory, () => RawMemoryTrial(s.MemoryOpsRaw))
            .Add(LocalMemory, () => LocalMemoryTrial(s.MemoryOpsEngine))
            .Run(s.WarmupRounds, s.Rounds, log);
        report.AddFigure(RawMemory, "tx/s", results[RawMemory]);
        report.AddFigure(LocalMemory, "tx/s", results[LocalMemory]);
        Samples memoryRatio = Rounds.Ratio(results[LocalMemory], results[RawMemory]);
        report.AddFigure("ratio: local Mutate (memory) / raw :memory:", "x", memoryRatio);
        report.AddTarget("Local Mutate, memory journals vs raw :memory:", memoryRatio.Median, LocalMemoryTarget, atLeast: true, "x",
            $"{results[LocalMemory].Median:N0} vs {results[RawMemory].Median:N0} tx/s");
    }

    private static void Coordinator(BenchSettings s, EngineReport report, Action<string> log)
    {
        log("Coordinator Step vs raw SQLite, one transaction per INSERT (mutations/s)");
        int batch = CoordinatorBench.BatchSize;
        string memorySingle = CoordinatorBench.Name(false, 1), memoryBatch = CoordinatorBench.Name(false, batch);
        string fileSingle = CoordinatorBench.Name(true, 1), fileBatch = CoordinatorBench.Name(true, batch);
        Dictionary<string, Samples> results = new Rounds()
            .Add(RawMemory, () => RawMemoryTrial(s.MemoryOpsRaw))
            .Add(memorySingle, () => CoordinatorBench.Trial(s.CoordinatorSingleOps, 1, file: false))
            .Add(memoryBatch, () => CoordinatorBench.Trial(s.CoordinatorBatchOps, batch, file: false))
            .Add(RawWal, () => RawWalTrial(s.FileOps))
            .Add(fileSingle, () => CoordinatorBench.Trial(s.CoordinatorFileSingleOps, 1, file: true))
            .Add(fileBatch, () => CoordinatorBench.Trial(s.CoordinatorFileBatchOps, batch, file: true))
            .Run(s.WarmupRounds, s.Rounds, log);
        foreach (string name in new[] { memorySingle, memoryBatch, fileSingle, fileBatch })
        {
            report.AddFigure(name, "mut/s", results[name]);
        }

        report.AddFigure($"{RawMemory} (coordinator rounds)", "tx/s", results[RawMemory]);
        report.AddFigure($"{RawWal} (coordinator rounds)", "tx/s", results[RawWal]);
        Samples memorySingleRatio = Rounds.Ratio(results[memorySingle], results[RawMemory]);
        Samples memoryRatio = Rounds.Ratio(results[memoryBatch], results[RawMemory]);
        Samples fileSingleRatio = Rounds.Ratio(results[fileSingle], results[RawWal]);
        Samples fileRatio = Rounds.Ratio(results[fileBatch], results[RawWal]);
        report.AddFigure("ratio: coordinator Step(1) (memory) / raw :memory:", "x", memorySingleRatio);
        report.AddFigure($"ratio: coordinator StepAll({batch}) (memory) / raw :memory:", "x", memoryRatio);
        report.AddFigure("ratio: coordinator Step(1) (file+fsync) / raw WAL/FULL", "x", fileSingleRatio);
        report.AddFigure($"ratio: coordinator StepAll({batch}) (file+fsync) / raw WAL/FULL", "x", fileRatio);
        report.AddTarget($"Batched coordinator apply, StepAll({batch}), memory journals vs raw :memory:", memoryRatio.Median, 1.0, atLeast: true, "x",
            $"{results[memoryBatch].Median:N0} mut/s vs {results[RawMemory].Median:N0} tx/s");
        report.AddTarget($"Batched coordinator apply, StepAll({batch}), file journals + fsync vs raw WAL/FULL", fileRatio.Median, 1.0, atLeast: true, "x",
            $"{results[fileBatch].Median:N0} mut/s vs {results[RawWal].Median:N0} tx/s");
    }

    private static void Rebase(BenchSettings s, EngineReport report, Action<string> log)
    {
        log("Rebase (ReceiveStorage of one coordinator entry) vs pending mutations (ms)");
        foreach (int pending in s.RebasePending)
        {
            Samples samples = RebaseBench.Run(pending, warmupRounds: 2, s.RebaseRounds);
            log($"  {pending} pending: median {samples.Median:0.000} ms (min {samples.Min:0.000}, max {samples.Max:0.000})");
            report.AddFigure($"rebase, {pending:N0} pending single-row mutations", "ms", samples);
            if (pending == 1_000)
            {
                report.AddTarget("Rebase of 1,000 pending single-row mutations", samples.Median, 20, atLeast: false, "ms");
            }
        }
    }

    private static void Statements(BenchSettings s, EngineReport report, Action<string> log)
    {
        int ops = s.Quick ? 10_000 : 100_000;
        log($"Statement cache: {StatementCacheBench.DistinctTexts:N0} distinct point-query texts in rotation (queries/s)");
        var hitRatios = new Dictionary<string, double>(StringComparer.Ordinal);
        var rounds = new Rounds();
        foreach (int size in StatementCacheBench.Sizes)
        {
            string name = StatementCacheBench.Name(size);
            rounds.Add(name, () =>
            {
                (double rate, double hitRatio) = StatementCacheBench.Trial(ops, size);
                hitRatios[name] = hitRatio;
                return rate;
            });
        }

        Dictionary<string, Samples> results = rounds.Run(s.WarmupRounds, s.Rounds, log);
        foreach (int size in StatementCacheBench.Sizes)
        {
            string name = StatementCacheBench.Name(size);
            report.AddFigure($"{name} (hit ratio {hitRatios[name]:P0})", "q/s", results[name]);
        }

        string off = StatementCacheBench.Name(0), whole = StatementCacheBench.Name(StatementCacheBench.Sizes[^1]);
        report.AddFigure($"ratio: {whole} / {off}", "x", Rounds.Ratio(results[whole], results[off]));
    }

    private static void Memory(BenchSettings s, EngineReport report, Action<string> log)
    {
        log($"Managed memory of a local document with {s.MemoryFootprintMutations:N0} pending mutations");
        var runs = new List<MemoryBench.Footprint>();
        for (int i = 0; i < (s.Quick ? 1 : 3); i++)
        {
            MemoryBench.Footprint footprint = MemoryBench.Run(s.MemoryFootprintMutations);
            log($"  managed {footprint.ManagedBytes / MiB:N1} MiB, {footprint.PendingPages:N0} pending pages, timeline {footprint.TimelineBytes / MiB:N1} MiB");
            runs.Add(footprint);
        }

        MemoryBench.Footprint median = runs.OrderBy(r => r.ManagedBytes).ElementAt(runs.Count / 2);
        string n = $"{median.Mutations:N0}";
        var managed = new Samples();
        runs.ForEach(r => managed.Add(r.ManagedBytes / MiB));
        report.AddFigure($"managed memory, {n} pending mutations", "MiB", managed);
        report.AddFigure($"  of which pending pages ({median.PendingPages:N0} × 4 KiB)", "MiB", median.PendingPageBytes / MiB);
        report.AddFigure($"  of which timeline entries (payload bytes)", "MiB", median.TimelineBytes / MiB);
        report.AddFigure("managed bytes per pending mutation", "B", median.BytesPerMutation);
        report.AddFigure("native SQLite heap (sqlite3_memory_used, all connections)", "MiB", median.NativeSqliteBytes / MiB);
        double projected = median.BytesPerMutation * BenchSettings.MemoryTargetMutations / MiB;
        string detail = median.Mutations == BenchSettings.MemoryTargetMutations
            ? $"{median.PendingPages:N0} pending pages"
            : $"projected from {n} mutations (quick run)";
        report.AddTarget("Managed memory, 100,000 pending mutations", projected, 64, atLeast: false, "MiB", detail);
    }
}
