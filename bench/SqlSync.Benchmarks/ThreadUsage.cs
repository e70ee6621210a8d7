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

    // struct rusage on 64-bit Linux is 18 longs: two timevals (4 longs), then ru_maxrss ... ru_nivcsw; the indexes used.
    private const int RusageLongs = 18;
    private const int MinorFaultsAt = 8;
    private const int MajorFaultsAt = 9;
    private const int VoluntarySwitchesAt = 16;
    private const int InvoluntarySwitchesAt = 17;

    public static unsafe ThreadUsage Now()
    {
        long* usage = stackalloc long[RusageLongs];
        if (!OperatingSystem.IsLinux() || GetRusage(RusageThread, usage) != 0)
        {
            return default;
        }

        // getrusage's CPU times move in scheduler ticks for short intervals; the thread's CPU clock has nanoseconds.
        return new ThreadUsage(CpuClock.ThreadSeconds() * 1e6, usage[MinorFaultsAt], usage[MajorFaultsAt], usage[VoluntarySwitchesAt], usage[InvoluntarySwitchesAt]);
    }

    public static ThreadUsage operator -(ThreadUsage after, ThreadUsage before) => new(
        after.CpuMicros - before.CpuMicros, after.MinorFaults - before.MinorFaults, after.MajorFaults - before.MajorFaults,
        after.VoluntarySwitches - before.VoluntarySwitches, after.InvoluntarySwitches - before.InvoluntarySwitches);

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);
}
