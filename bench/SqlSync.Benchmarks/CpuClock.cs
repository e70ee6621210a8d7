using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SqlSync.Benchmarks;

/// <summary>
/// Process (or thread) CPU time with nanosecond resolution (clock_gettime), falling back to the coarse .NET
/// figure for the process.
/// </summary>
internal static partial class CpuClock
{
    private const int ClockProcessCpuTimeId = 2;
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>The calling thread's CPU time alone (<c>--thread-cpu-time</c>): leaves out the runtime's background threads.</summary>
    public static bool ThreadOnly { get; set; }

    public static double Seconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ThreadOnly ? ClockThreadCpuTimeId : ClockProcessCpuTimeId, out TimeSpec now) == 0)
        {
            return now.Seconds + (now.Nanoseconds / 1e9);
        }

        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>The calling thread's CPU time (0 elsewhere than Linux).</summary>
    public static double ThreadSeconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTimeId, out TimeSpec now) == 0 ? now.Seconds + (now.Nanoseconds / 1e9) : 0;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
