using System.Diagnostics;

namespace SqlSync.Benchmarks;

/// <summary>Times a run of operations after an untimed warm-up run of a tenth as many.</summary>
internal static class Timing
{
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
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < ops; i++)
        {
            op(id++);
        }

        return ops / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

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
