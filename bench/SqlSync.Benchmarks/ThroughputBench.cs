using System.Diagnostics;

namespace SqlSync.Benchmarks;

/// <summary>One sustained-throughput trial.</summary>
internal sealed record ThroughputResult(int Clients, double AppliedPerSecond, double ConvergeMs, double UpBytesPerMutation, double DownBytesPerMutationPerClient,
    double MutationsPerStep, double MutationsPerFrameUp, double CpuPercent);

/// <summary>
/// Sustained mutations per second on one document: every client (its own LocalDocument and SqlSyncClient)
/// inserts rows on its own thread for a fixed time, keeping at most a window of mutations pending (a
/// closed-loop load: a client waits for the coordinator rather than piling up mutations it would rebase
/// over and over). Throughput is what the coordinator applied per second in the timed window.
/// </summary>
internal static class ThroughputBench
{
    /// <summary>All clients together keep about this many mutations in flight.</summary>
    public const int TotalWindow = 2_000;

    public static int WindowPerClient(int clients) => Math.Max(32, TotalWindow / clients);

    public static async Task<ThroughputResult> RunAsync(WireMeter meter, bool fsync, int clients, TimeSpan warmup, TimeSpan duration,
        Action<SqlSync.Server.SqlSyncServerOptions>? configure = null)
    {
        await using BenchServer server = await BenchServer.StartAsync(fsync, configure);
        var peers = Enumerable.Range(0, clients).Select(i => BenchPeer.Connect(server.SyncUri, $"c{i}")).ToList();
        try
        {
            if (!await BenchPeer.ConvergeAsync(peers, TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"{clients} clients did not converge before the throughput run");
            }

            using var stop = new CancellationTokenSource();
            int window = WindowPerClient(clients);
            Task[] writers = peers.Select((peer, i) => Task.Factory.StartNew(
                () => Write(peer, i, window, stop.Token), TaskCreationOptions.LongRunning)).ToArray();
            await Task.Delay(warmup);
            long appliedStart = meter.MutationsApplied, receivedStart = meter.BytesReceived, sentStart = meter.BytesSent, stepsStart = meter.Steps, framesStart = meter.FramesReceived;
            TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            await Task.Delay(duration);
            long appliedEnd = meter.MutationsApplied, receivedEnd = meter.BytesReceived, sentEnd = meter.BytesSent, stepsEnd = meter.Steps, framesEnd = meter.FramesReceived;
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds / seconds * 100;
            stop.Cancel();
            await Task.WhenAll(writers);
            long stopped = Stopwatch.GetTimestamp();
            if (!await BenchPeer.ConvergeAsync(peers, TimeSpan.FromSeconds(120)))
            {
                throw new TimeoutException($"{clients} clients did not converge after the throughput run");
            }

            double convergeMs = Stopwatch.GetElapsedTime(stopped).TotalMilliseconds;
            long applied = appliedEnd - appliedStart;
            return new ThroughputResult(clients, applied / seconds, convergeMs,
                (receivedEnd - receivedStart) / (double)applied, (sentEnd - sentStart) / (double)applied / clients,
                applied / (double)Math.Max(1, stepsEnd - stepsStart), applied / (double)Math.Max(1, framesEnd - framesStart), cpuPercent);
        }
        finally
        {
            await BenchPeer.DisposeAllAsync(peers);
        }
    }

    private static void Write(BenchPeer peer, int index, int window, CancellationToken stop)
    {
        long id = (index + 1L) << 32; // each client its own id range: no primary key conflicts
        using var room = new AutoResetEvent(false);
        EventHandler<SqlSync.Documents.DocumentChangedEventArgs> onChanged = (_, _) => room.Set();
        peer.Document.Changed += onChanged;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (peer.Document.PendingMutationCount >= window)
                {
                    // Woken by the rebase that confirms mutations (the timeout only notices the stop).
                    room.WaitOne(50);
                    continue;
                }

                peer.Document.Mutate(new BenchMutations.InsertRow(++id, BenchMutations.RowText));
            }
        }
        finally
        {
            peer.Document.Changed -= onChanged;
        }
    }
}
