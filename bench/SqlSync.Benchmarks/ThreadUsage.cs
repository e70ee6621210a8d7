using System.Runtime.InteropServices;

namespace SqlSync.Benchmarks;

/// <summary>
/// The calling thread's resource counters (Linux <c>getrusage(RUSAGE_THREAD)</c>): CPU time, page faults and context
/// switches, voluntary (it blocked: a lock, a futex, I/O) and involuntary (the scheduler preempted it). Read before and
/// after a measured call, outside its timestamps, they say why that call was slow. All zero elsewhere than Linux.
/// </summary>
internal readonly partial record struct ThreadUsage(double CpuMicros, long MinorFaults, long MajorFaults, long VoluntarySwitches, long InvoluntarySwitches)
{
    private const int RusageThread = 1;

    public static ThreadUsage Now()
    {
        if (!OperatingSystem.IsLinux() || GetRusage(RusageThread, out RUsage usage) != 0)
        {
            return default;
        }

        // getrusage's CPU times move in scheduler ticks for short intervals; the thread's CPU clock has nanoseconds.
        double cpu = CpuClock.ThreadSeconds() * 1e6;
        return new ThreadUsage(cpu, usage.MinorFaults, usage.MajorFaults, usage.VoluntarySwitches, usage.InvoluntarySwitches);
    }

    public static ThreadUsage operator -(ThreadUsage after, ThreadUsage before) => new(
        after.CpuMicros - before.CpuMicros, after.MinorFaults - before.MinorFaults, after.MajorFaults - before.MajorFaults,
        after.VoluntarySwitches - before.VoluntarySwitches, after.InvoluntarySwitches - before.InvoluntarySwitches);

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out RUsage usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public long MaxRss;
        public long SharedText;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }
}
