using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Benchmarks;

/// <summary>How long and how often the network scenarios run.</summary>
internal sealed record NetworkSettings(bool Quick, int Rounds, int PacedRate, TimeSpan PacedDuration, int MaxRateCount,
    int[] ClientCounts, TimeSpan Warmup, TimeSpan Duration)
{
    public static NetworkSettings Full { get; } = new(false, 3, 200, TimeSpan.FromSeconds(10), 5_000, [1, 10, 50],
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    public static NetworkSettings QuickRun { get; } = new(true, 1, 200, TimeSpan.FromSeconds(2), 1_000, [1, 10, 50],
        TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1.5));

    public int PacedCount => (int)(PacedRate * PacedDuration.TotalSeconds);
}

/// <summary>The network figures: median over rounds of each scenario, with fsync on and off.</summary>
internal sealed class NetworkReport
{
    public const double P50Target = 2, P99Target = 10, ThroughputTarget = 10_000;

    public Dictionary<bool, List<LatencyResult>> Paced { get; } = new() { [true] = [], [false] = [] };

    public Dictionary<bool, List<LatencyResult>> MaxRate { get; } = new() { [true] = [], [false] = [] };

    public Dictionary<(bool Fsync, int Clients), List<ThroughputResult>> Throughput { get; } = new();

    public (double P50, double P99) FsyncMs { get; set; }

    public List<string> Notes { get; } = new();

    public string TargetTable()
    {
        var text = new StringBuilder("| Figure | Measured | Target | Result |\n|---|---:|---:|:---:|\n");
        foreach (bool fsync in new[] { true, false })
        {
            string mode = fsync ? "FsyncOnAppend = true (default)" : "FsyncOnAppend = false";
            Row(text, $"Propagation p50 at 200 mutations/s, {mode}", Median(Paced[fsync], r => r.P50), P50Target, "ms", lowerIsBetter: true);
            Row(text, $"Propagation p99 at 200 mutations/s, {mode}", Median(Paced[fsync], r => r.P99), P99Target, "ms", lowerIsBetter: true);
            foreach (((bool f, int clients), List<ThroughputResult> runs) in Throughput.Where(t => t.Key.Fsync == fsync))
            {
                Row(text, $"Sustained mutations/s on one document, {clients} client(s), {mode}", Median(runs, r => r.AppliedPerSecond), ThroughputTarget, "/s", lowerIsBetter: false);
            }
        }

        return text.ToString();
    }

    public string FigureTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| Scenario | fsync | p50 ms | p99 ms | max ms | send rate /s | A→applied p50 / p99 ms | applied→B p50 / p99 ms | up B/mut | down B/mut/client |");
        text.AppendLine("|---|:---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach ((string name, Dictionary<bool, List<LatencyResult>> runs) in new[] { ("Propagation, paced 200/s", Paced), ("Propagation, max rate", MaxRate) })
        {
            foreach (bool fsync in new[] { true, false })
            {
                List<LatencyResult> r = runs[fsync];
                text.AppendLine($"| {name} | {(fsync ? "on" : "off")} | {Median(r, x => x.P50):N2} | {Median(r, x => x.P99):N2} | {Median(r, x => x.Max):N1} | {Median(r, x => x.SendRate):N0} | " +
                    $"{Median(r, x => x.UploadP50):N2} / {Median(r, x => x.UploadP99):N2} | {Median(r, x => x.PushP50):N2} / {Median(r, x => x.PushP99):N2} | " +
                    $"{Median(r, x => x.UpBytesPerMutation):N0} | {Median(r, x => x.DownBytesPerMutationPerClient):N0} |");
            }
        }

        text.AppendLine().AppendLine("| Sustained load | fsync | applied mutations/s (median) | min | max | mutations/step | mutations/frame up | process CPU | converged after stop, ms | up B/mut | down B/mut/client |");
        text.AppendLine("|---|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (((bool fsync, int clients), List<ThroughputResult> r) in Throughput)
        {
            text.AppendLine($"| {clients} client(s), window {ThroughputBench.WindowPerClient(clients)} each | {(fsync ? "on" : "off")} | {Median(r, x => x.AppliedPerSecond):N0} | " +
                $"{r.Min(x => x.AppliedPerSecond):N0} | {r.Max(x => x.AppliedPerSecond):N0} | {Median(r, x => x.MutationsPerStep):N0} | {Median(r, x => x.MutationsPerFrameUp):N1} | {Median(r, x => x.CpuPercent):N0}% | {Median(r, x => x.ConvergeMs):N0} | " +
                $"{Median(r, x => x.UpBytesPerMutation):N0} | {Median(r, x => x.DownBytesPerMutationPerClient):N0} |");
        }

        text.AppendLine().AppendLine($"fsync of a small append on the data disk (the server's temp directory): p50 {FsyncMs.P50:N2} ms, p99 {FsyncMs.P99:N2} ms.");
        return text.ToString();
    }

    private static double Median<T>(List<T> runs, Func<T, double> value) => Samples.MedianOf(runs.Select(value).ToList());

    private static void Row(StringBuilder text, string figure, double measured, double target, string unit, bool lowerIsBetter)
    {
        bool pass = lowerIsBetter ? measured <= target : measured >= target;
        string format = unit == "ms" ? "N2" : "N0";
        text.AppendLine($"| {figure} | {measured.ToString(format)} {unit} | {(lowerIsBetter ? "≤" : "≥")} {target.ToString(unit == "ms" ? "N0" : "N0")} {unit} | {(pass ? "PASS" : "MISS")} |");
    }
}

/// <summary>Runs every network scenario in rounds (fsync on, then off, in each round) and collects the report.</summary>
internal static class NetworkRun
{
    /// <summary>The scenario groups; <c>--only NAME[,NAME]</c> picks some of them (a partial run never writes the document).</summary>
    public static readonly string[] Groups = ["paced", "max", "clients1", "clients10", "clients50"];

    public static async Task<NetworkReport> RunAsync(NetworkSettings settings, IReadOnlySet<string> only, bool[] fsyncModes, Action<string> log)
    {
        bool Wanted(string group) => only.Count == 0 || only.Contains(group);
        var report = new NetworkReport();
        using var meter = new WireMeter();
        report.FsyncMs = FsyncProbe();
        log($"fsync probe: p50 {report.FsyncMs.P50:N2} ms, p99 {report.FsyncMs.P99:N2} ms");
        for (int round = 1; round <= settings.Rounds; round++)
        {
            foreach (bool fsync in fsyncModes)
            {
                string tag = $"round {round}, fsync {(fsync ? "on" : "off")}";
                if (Wanted("paced"))
                {
                    LatencyResult paced = await LatencyBench.RunAsync(meter, fsync, settings.PacedCount, TimeSpan.FromSeconds(1.0 / settings.PacedRate));
                    report.Paced[fsync].Add(paced);
                    log($"  {tag}: paced {settings.PacedRate}/s: {paced}");
                }

                if (Wanted("max"))
                {
                    LatencyResult max = await LatencyBench.RunAsync(meter, fsync, settings.MaxRateCount, TimeSpan.Zero);
                    report.MaxRate[fsync].Add(max);
                    log($"  {tag}: max rate: {max}");
                }

                foreach (int clients in settings.ClientCounts.Where(c => Wanted($"clients{c}")))
                {
                    ThroughputResult result = await ThroughputBench.RunAsync(meter, fsync, clients, settings.Warmup, settings.Duration);
                    if (!report.Throughput.TryGetValue((fsync, clients), out List<ThroughputResult>? list))
                    {
                        report.Throughput[(fsync, clients)] = list = [];
                    }

                    list.Add(result);
                    log($"  {tag}: {result}");
                }
            }
        }

        return report;
    }

    /// <summary>How long one fsync of a small append takes on the disk the server's journals live on.</summary>
    private static (double P50, double P99) FsyncProbe()
    {
        using var root = new TempRoot("net-fsync");
        using SafeFileHandle file = File.OpenHandle(root.Sub("probe"), FileMode.Create, FileAccess.ReadWrite);
        byte[] frame = new byte[100];
        var times = new double[200];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            RandomAccess.Write(file, frame, i * frame.Length);
            RandomAccess.FlushToDisk(file);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return (LatencyBench.Percentile(times, 0.5), LatencyBench.Percentile(times, 0.99));
    }
}
