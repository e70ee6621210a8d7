using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime;

namespace SqlSync.Benchmarks;

/// <summary>
/// The server half of the benchmarks that measure the server alone (<c>idle-connections</c>, <c>hostile</c>'s documents
/// part), in a process of its own so that its memory and open files are the server's only: starts the in-process Kestrel
/// server (<see cref="BenchServer"/>: fsync off, quotas lifted; <c>--document-idle-timeout S</c> sets
/// <c>DocumentIdleTimeout</c>; <c>--slow-document ID</c> gives that document a <see cref="SlowReducer"/>), prints <c>uri ADDRESS</c>, then answers commands on stdin, one line each:
/// <c>measure</c> prints <c>memory MANAGED RSS</c> after a full compacting collection; <c>counters</c> prints
/// <c>counters OPEN RELEASES</c> (the metrics <c>sqlsync.documents.open</c> and <c>sqlsync.memory.releases</c>);
/// <c>breakdown</c> prints <c>breakdown ...</c> (<see cref="ProcessMemory.Breakdown"/>, no collection); <c>steps</c> prints
/// <c>steps COUNT P50 P99 MAX</c> of the steps' durations in ms since the last <c>steps</c> (the metric
/// <c>sqlsync.step.duration</c>); <c>connections</c> prints <c>connections N</c> (the metric <c>sqlsync.connections</c>);
/// <c>jit</c> prints <c>jit N</c>, the methods compiled so far; <c>jit-names</c> prints what <see cref="JitTrace"/> saw since the
/// last <c>jit-names</c> (empty unless <c>SQLSYNC_BENCH_JIT_TRACE=1</c>); <c>slow</c> prints
/// <c>slow 1</c> while the slow document's held step runs (else <c>slow 0</c>); <c>release</c> ends it and prints
/// <c>released 1</c>; <c>quit</c> stops.
/// The parent (<see cref="ServerProcess"/>) reads the resident set and open files from /proc/PID itself.
/// </summary>
internal static class ServerChild
{
    public const string Mode = "server-child";

    public static async Task<int> RunAsync(string[] args)
    {
        int timeoutIndex = Array.IndexOf(args, "--document-idle-timeout");
        TimeSpan? idle = timeoutIndex > 0 && timeoutIndex + 1 < args.Length
            ? TimeSpan.FromSeconds(double.Parse(args[timeoutIndex + 1], CultureInfo.InvariantCulture))
            : null;
        int slowIndex = Array.IndexOf(args, "--slow-document");
        string? slowDocument = slowIndex > 0 && slowIndex + 1 < args.Length ? args[slowIndex + 1] : null;
        if (JitTrace.Requested)
        {
            JitTrace.Start();
        }

        var slow = new SlowReducer();
        long open = 0, releases = 0, connections = 0;
        using var listener = new MeterListener();
        var steps = new List<double>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "SqlSync.Server" && instrument.Name is "sqlsync.documents.open" or "sqlsync.memory.releases" or "sqlsync.step.duration" or "sqlsync.connections")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (steps)
            {
                steps.Add(seconds * 1000);
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "sqlsync.connections")
            {
                Interlocked.Add(ref connections, value);
            }
            else
            {
                Interlocked.Add(ref instrument.Name == "sqlsync.memory.releases" ? ref releases : ref open, value);
            }
        });
        listener.Start();

        await using BenchServer server = await BenchServer.StartAsync(fsyncOnAppend: false, options =>
        {
            if (idle is TimeSpan timeout)
            {
                options.DocumentIdleTimeout = timeout;
            }

            if (slowDocument is not null)
            {
                options.ReducerFor = id => id == slowDocument ? slow : BenchMutations.Reducer;
            }
        });
        Console.WriteLine($"uri {server.SyncUri}");
        while (Console.ReadLine() is string command)
        {
            switch (command)
            {
                case "measure":
                    (long managed, long rss) = Measure();
                    Console.WriteLine($"memory {managed} {rss}");
                    break;
                case "counters":
                    Console.WriteLine($"counters {Interlocked.Read(ref open)} {Interlocked.Read(ref releases)}");
                    break;
                case "breakdown":
                    Console.WriteLine($"breakdown {ProcessMemory.Breakdown()}");
                    break;
                case "steps":
                    lock (steps)
                    {
                        steps.Sort();
                        Console.WriteLine(steps.Count == 0 ? "steps 0 0 0 0"
                            : FormattableString.Invariant($"steps {steps.Count} {steps[steps.Count / 2]} {steps[Math.Min(steps.Count - 1, (int)Math.Ceiling(steps.Count * 0.99) - 1)]} {steps[^1]}"));
                        steps.Clear();
                    }

                    break;
                case "slow":
                    Console.WriteLine($"slow {(slow.Running ? 1 : 0)}");
                    break;
                case "jit":
                    Console.WriteLine(FormattableString.Invariant($"jit {System.Runtime.JitInfo.GetCompiledMethodCount()}"));
                    break;
                case "connections":
                    Console.WriteLine($"connections {Interlocked.Read(ref connections)}");
                    break;
                case "jit-names":
                    // One line: the compilations since the last jit-names, separated by " | " (JitTrace).
                    Console.WriteLine("jit-names " + string.Join(" | ", JitTrace.TakeSummary(40)));
                    break;
                case "release":
                    slow.Release();
                    Console.WriteLine("released 1");
                    break;
                case "quit":
                    slow.Release();
                    return 0;
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

        return (GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes, ProcessMemory.RssBytes());
    }
}
