using System.Diagnostics;

namespace SqlSync.Benchmarks;

/// <summary>Times a run of operations after an untimed warm-up run of a tenth as many.</summary>
internal static class Timing
{
    /// <summary>
    /// Measure process CPU time instead of wall time (<c>--cpu-time</c>): steadier on a busy shared machine
    /// for the in-memory scenarios, meaningless for the fsync ones (waiting for the disk costs no CPU).
    /// </summary>
    public static bool UseCpuTime { get; set; }

    /// <summary>A clock reading in seconds (wall or process CPU time); subtract two readings.</summary>
    public static double Now()
    {
        if (UseCpuTime)
        {
            return CpuClock.Seconds();
        }

        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    /// <summary>
    /// Calls <paramref name="op"/> with ids 1..ops/10 untimed, then with the next <paramref name="ops"/> ids
    /// timed; returns operations per second.
    /// </summary>
    public static double OpsPerSecond(int ops, Action<long> op)
    {
        long id = 1;
        int warmup = Math.Max(1, ops / 10);
        for (int i = 0; i < warmup; i++)
        {
            op(id++);
        }

        Settle();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        double start = Now();
        for (int i = 0; i < ops; i++)
        {
            op(id++);
        }

        double rate = ops / (Now() - start);
        LastBytesAllocatedPerOp = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)ops;
        return rate;
    }

    /// <summary>Managed bytes the benchmark thread allocated per operation in the last timed run of <see cref="OpsPerSecond"/>.</summary>
    public static double LastBytesAllocatedPerOp { get; set; } = double.NaN;

    /// <summary>Collects garbage left by setup so that it is not charged to the timed part.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static void Expect(long actual, long expected, string what)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"Benchmark sanity check failed: {what} is {actual}, expected {expected}.");
        }
    }
}
