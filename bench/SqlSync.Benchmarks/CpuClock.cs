using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SqlSync.Benchmarks;

/// <summary>Process CPU time with nanosecond resolution (clock_gettime), falling back to the coarse .NET figure.</summary>
internal static partial class CpuClock
{
    private const int ClockProcessCpuTimeId = 2;

    public static double Seconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTimeId, out TimeSpec now) == 0)
        {
            return now.Seconds + (now.Nanoseconds / 1e9);
        }

        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
