using SqlSync.Documents;

namespace SqlSync.Benchmarks;

/// <summary>
/// Attributes the time a call blocked its caller to causes, per sample: the thread's CPU time, page faults and context
/// switches (<see cref="ThreadUsage"/>), the GC's pause time and collections during the call, and what the document's
/// group-commit flusher was doing when the call began. <see cref="Report"/> compares the slowest 1% with all calls.
/// </summary>
internal sealed class BlockingProbe
{
    private readonly List<Sample> _samples;

    public BlockingProbe(int capacity) => _samples = new List<Sample>(capacity);

    /// <summary>Taken just before a measured call (outside its timestamps).</summary>
    public static Mark Begin(LocalDocument document) =>
        new(ThreadUsage.Now(), GC.GetTotalPauseDuration(), GC.CollectionCount(0), document.TimelineFlusherPhase, GC.GetAllocatedBytesForCurrentThread());

    /// <summary>Records a call of <paramref name="micros"/> that began at <paramref name="begin"/>; reads the counters after it.</summary>
    public void End(Mark begin, double micros)
    {
        ThreadUsage usage = ThreadUsage.Now() - begin.Usage;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - begin.Allocated;
        _samples.Add(new Sample(micros, usage, (GC.GetTotalPauseDuration() - begin.GcPause).TotalMicroseconds, GC.CollectionCount(0) - begin.Collections, begin.Phase, allocated));
    }

    /// <summary>Prints, for the slowest 1% and for all calls: how many had each cause, and the median CPU share of their time.</summary>
    public void Report(string title, Action<string> print)
    {
        Sample[] sorted = [.. _samples.OrderBy(s => s.Micros)];
        Sample[] slow = sorted[(int)(sorted.Length * 0.99)..];
        print($"{title}: causes of the slowest 1% ({slow.Length} calls, from {slow[0].Micros:N1} µs) against all {sorted.Length} calls");
        print("| calls | preempted (involuntary switch) | blocked (voluntary switch) | page faults (mean per call) | GC pause in the call | flusher asleep / flushing / watching at the call | median thread CPU / wall | mean bytes allocated |");
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        print(Row("slowest 1%", slow));
        print(Row("all", sorted));
        Sample[] paged = [.. sorted.Where(s => s.Allocated >= 4096)];
        print($"calls that allocated 4 KiB or more (a new database page): {paged.Length} of {sorted.Length}, median {Median(paged, s => s.Micros):N1} µs "
            + $"(the others {Median([.. sorted.Where(s => s.Allocated < 4096)], s => s.Micros):N1} µs); {slow.Count(s => s.Allocated >= 4096)} of the slowest {slow.Length}");
        print("bytes allocated by the slowest 1% (calls × bytes): " + string.Join(", ", slow.GroupBy(s => s.Allocated).OrderByDescending(g => g.Count()).Take(8).Select(g => $"{g.Count()}×{g.Key}"))
            + "; by all calls: " + string.Join(", ", sorted.GroupBy(s => s.Allocated).OrderByDescending(g => g.Count()).Take(8).Select(g => $"{g.Count()}×{g.Key}")));
        Sample[] unexplained = [.. slow.Where(s => s.Usage.InvoluntarySwitches == 0 && s.Usage.VoluntarySwitches == 0 && s.Usage.MinorFaults == 0 && s.Usage.MajorFaults == 0 && s.GcPauseMicros == 0)];
        print($"slowest 1% with none of those causes: {unexplained.Length}; their median {Median(unexplained, s => s.Micros):N1} µs, median thread CPU {Median(unexplained, s => s.Usage.CpuMicros):N1} µs");
    }

    private static string Row(string name, Sample[] samples)
    {
        string Share(Func<Sample, bool> has) => $"{samples.Count(has) * 100.0 / samples.Length:N1}%";
        string phases = string.Join(" / ", Enum.GetValues<FlusherPhase>().Select(p => Share(s => s.Phase == p)));
        double cpuShare = Median(samples, s => s.Micros > 0 ? s.Usage.CpuMicros / s.Micros : 0);
        return $"| {name} | {Share(s => s.Usage.InvoluntarySwitches > 0)} | {Share(s => s.Usage.VoluntarySwitches > 0)} | "
            + $"{Share(s => s.Usage.MinorFaults + s.Usage.MajorFaults > 0)} ({samples.Average(s => (double)(s.Usage.MinorFaults + s.Usage.MajorFaults)):N2}) | "
            + $"{Share(s => s.GcPauseMicros > 0)} ({samples.Sum(s => s.Collections)} gen0+ GCs) | {phases} | {cpuShare:N2} | {samples.Average(s => (double)s.Allocated):N0} |";
    }

    private static double Median(Sample[] samples, Func<Sample, double> value)
    {
        if (samples.Length == 0)
        {
            return 0;
        }

        double[] values = [.. samples.Select(value).Order()];
        return values[values.Length / 2];
    }

    internal readonly record struct Mark(ThreadUsage Usage, TimeSpan GcPause, int Collections, FlusherPhase Phase, long Allocated);

    private readonly record struct Sample(double Micros, ThreadUsage Usage, double GcPauseMicros, int Collections, FlusherPhase Phase, long Allocated);
}
