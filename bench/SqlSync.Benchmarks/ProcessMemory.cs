using System.Globalization;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace SqlSync.Benchmarks;

/// <summary>
/// Where a process's memory and files are, for the hostile benchmark's analysis: the resident set and the open file
/// descriptors grouped by what they point at (of this process, or of another by id: the benchmark's server child), and
/// for this process also the managed heap
/// (<see cref="GC.GetGCMemoryInfo()"/>), SQLite's own heap (<c>sqlite3_memory_used</c>), glibc malloc's totals
/// (<c>mallinfo2</c>: in use and free-but-kept) and the open file descriptors grouped by what they point at.
/// </summary>
internal static partial class ProcessMemory
{
    /// <summary>VmRSS of /proc/PID/status (this process when <paramref name="pid"/> is null), in bytes.</summary>
    public static long RssBytes(int? pid = null)
    {
        string? line = File.ReadLines($"/proc/{Proc(pid)}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public static int OpenFiles(int? pid = null) => Directory.GetFileSystemEntries($"/proc/{Proc(pid)}/fd").Length;

    /// <summary>One line: RSS, managed heap (size, committed, fragmented), SQLite's heap now and at its peak, malloc in use and free.</summary>
    public static string Breakdown()
    {
        Batteries_V2.Init(); // idempotent; the server may not have opened a document yet
        GCMemoryInfo gc = GC.GetGCMemoryInfo(GCKind.Any);
        string malloc = "malloc n/a";
        if (OperatingSystem.IsLinux())
        {
            try
            {
                MallInfo2 info = mallinfo2();
                malloc = $"malloc: arena {Mib((long)info.Arena)} + mmap {Mib((long)info.Hblkhd)}, in use {Mib((long)info.Uordblks)}, free kept {Mib((long)info.Fordblks)}";
            }
            catch (EntryPointNotFoundException)
            {
            }
        }

        return $"RSS {Mib(RssBytes())}; managed heap {Mib(gc.HeapSizeBytes)} (committed {Mib(gc.TotalCommittedBytes)}, fragmented {Mib(gc.FragmentedBytes)}); "
            + $"SQLite heap {Mib(raw.sqlite3_memory_used())} (peak {Mib(raw.sqlite3_memory_highwater(0))}); {malloc}";
    }

    /// <summary>The open file descriptors, counted by kind: socket, pipe, anon_inode:[eventpoll], a regular file's directory...</summary>
    public static string Files(int? pid = null)
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (string fd in Directory.GetFileSystemEntries($"/proc/{Proc(pid)}/fd"))
        {
            string target;
            try
            {
                target = new FileInfo(fd).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                continue; // closed while listed
            }

            string kind = target.StartsWith('/') ? "file " + Path.GetDirectoryName(target) : target.Split(':')[0] + (target.Contains("anon_inode", StringComparison.Ordinal) ? ":" + target.Split(':').Last() : "");
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return string.Join(", ", kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Value} {k.Key}"));
    }

    private static string Proc(int? pid) => pid?.ToString(CultureInfo.InvariantCulture) ?? "self";

    public static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0} MiB";

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }

    [LibraryImport("libc")]
    private static partial MallInfo2 mallinfo2();
}
