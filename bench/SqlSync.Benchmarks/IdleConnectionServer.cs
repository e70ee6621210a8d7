using System.Runtime;

namespace SqlSync.Benchmarks;

/// <summary>
/// The server half of the <c>idle-connections</c> mode, in a process of its own so that its memory is the server's
/// alone: starts the in-process Kestrel server (default options), prints its address, then answers commands on stdin:
/// <c>measure</c> prints the managed heap and resident set after a full compacting collection, <c>quit</c> stops.
/// </summary>
internal static class IdleConnectionServer
{
    public static async Task<int> RunAsync()
    {
        await using BenchServer server = await BenchServer.StartAsync(fsyncOnAppend: false);
        Console.WriteLine($"uri {server.SyncUri}");
        while (Console.ReadLine() is string command)
        {
            if (command == "measure")
            {
                (long managed, long rss) = Measure();
                Console.WriteLine($"memory {managed} {rss}");
            }
            else if (command == "quit")
            {
                break;
            }
        }

        return 0;
    }

    /// <summary>The managed heap and the resident set (bytes) after full, compacting collections.</summary>
    public static (long Managed, long Rss) Measure()
    {
        for (int i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return (GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes, ResidentBytes());
    }

    private static long ResidentBytes()
    {
        // Linux: VmRSS in /proc/self/status (kB); elsewhere the working set, which is close.
        const string path = "/proc/self/status";
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return Environment.WorkingSet;
    }
}
