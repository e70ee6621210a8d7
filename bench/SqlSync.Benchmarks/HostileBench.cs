using System.Diagnostics;
using System.Net.WebSockets;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// The server under issue 13's load (docs/benchmarks.md, "Hostile load"): its RSS and open files (the server alone, in
/// a child process) after 10,000 documents were each touched once and released, before and after idle close; and the round trip of
/// an unrelated document (and of a plain HTTP request) while another document runs a slow step with 40
/// clients waiting on it.
/// </summary>
internal static class HostileBench
{
    /// <param name="serverExe">The documents part's server executable (<see cref="ServerProcess.StartAsync"/>); null runs this program.</param>
    public static async Task<int> RunAsync(bool quick, Action<string> print, int? documents = null, bool manyOnly = false, string? serverExe = null)
    {
#if DEBUG
        print("warning: Debug build; figures are meaningless. Run with -c Release.");
#endif
        print($"load average before: {MachineInfo.LoadAverage()}");
        int many = documents ?? (quick ? 1_000 : 10_000);
        if (many >= ManyPerConnection)
        {
            await ManyDocumentsAsync(many, print, serverExe);
        }
        else
        {
            print($"documents part skipped: --documents {many} is less than one connection's {ManyPerConnection}");
        }

        if (!manyOnly)
        {
            await SlowStepAsync(quick ? 100 : 1_000, print, serverExe);
        }

        print($"load average after: {MachineInfo.LoadAverage()}");
        return 0;
    }

    /// <summary>Documents opened per connection by the documents part.</summary>
    private const int ManyPerConnection = 100;

    /// <summary>
    /// The server runs in a child process (<see cref="ServerProcess"/>) so that its resident set and open files are the
    /// server's alone, not the clients' (their sockets, the WebSocket client's assemblies) of this process.
    /// </summary>
    private static async Task ManyDocumentsAsync(int documents, Action<string> print, string? serverExe)
    {
        TimeSpan idle = TimeSpan.FromSeconds(2);
        await using ServerProcess server = await ServerProcess.StartAsync(documentIdleTimeout: idle, serverExe: serverExe);
        (long rssStart, int filesStart) = (server.RssBytes(), server.OpenFiles());
        string breakdownStart = await server.BreakdownAsync(), filesKindsStart = server.Files();
        var clock = Stopwatch.StartNew();
        long peakRss = 0;
        int peakFiles = 0;
        long peakOpen = 0;
        const int PerConnection = ManyPerConnection;
        for (int batch = 0; batch < documents / PerConnection; batch++)
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(server.SyncUri, CancellationToken.None);
            await WebSocketFrames.SendAsync(socket, new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, "bench"), CancellationToken.None);
            await ReceiveAsync<WelcomeMessage>(socket);
            for (int i = 0; i < PerConnection; i++)
            {
                await WebSocketFrames.SendAsync(socket, new OpenDocumentMessage($"doc-{batch}-{i}", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()), CancellationToken.None);
            }

            for (int i = 0; i < PerConnection; i++)
            {
                await ReceiveAsync<DocumentOpenedMessage>(socket);
            }

            peakRss = Math.Max(peakRss, server.RssBytes());
            peakFiles = Math.Max(peakFiles, server.OpenFiles());
            peakOpen = Math.Max(peakOpen, (await server.CountersAsync()).Open);
            await WebSocketFrames.CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "done");
        }

        TimeSpan touched = clock.Elapsed;
        (long open, long releases) = await server.CountersAsync();
        while (open > 0 && clock.Elapsed < touched + TimeSpan.FromMinutes(2))
        {
            await Task.Delay(100);
            (open, releases) = await server.CountersAsync();
        }

        TimeSpan closed = clock.Elapsed - touched;
        (long rssAtClose, int filesAtClose) = (server.RssBytes(), server.OpenFiles());
        string breakdownAtClose = await server.BreakdownAsync();

        // The server gives memory back once the burst of closes has ended (ReleaseMemoryAfterClosing), at most once a
        // minute: wait for the release after the last close (its counter, reported by the child).
        long releasesAtClose = releases;
        while (releases == releasesAtClose && clock.Elapsed < touched + closed + TimeSpan.FromSeconds(90))
        {
            await Task.Delay(100);
            (open, releases) = await server.CountersAsync();
        }

        await Task.Delay(TimeSpan.FromSeconds(1)); // the release runs in the background after its counter ticks
        TimeSpan released = clock.Elapsed - touched - closed;
        (long rssReleased, int filesReleased) = (server.RssBytes(), server.OpenFiles());
        string breakdownReleased = await server.BreakdownAsync(), filesKindsReleased = server.Files();
        (_, long rssCollected) = await server.MeasureAsync();
        string breakdownCollected = await server.BreakdownAsync();
        if (Environment.GetEnvironmentVariable("SQLSYNC_BENCH_PAUSE") is { Length: > 0 } pause)
        {
            // For a heap dump of what stays (dotnet-gcdump collect -p PID): waits until the file named exists.
            print($"paused (server pid {server.Pid}); create {pause} to go on");
            while (!File.Exists(pause))
            {
                await Task.Delay(200);
            }
        }

        print($"server process {server.Pid} (alone: the clients run in this process): {serverExe ?? "this program, framework-dependent"}"
            + $"{(Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics") is string diagnostics ? $", DOTNET_EnableDiagnostics={diagnostics}" : "")}");
        print($"documents touched once: {documents} in {touched.TotalSeconds:0.0} s ({PerConnection} per connection), idle timeout {idle.TotalSeconds:0} s, MaxOpenDocuments 1000 (default)");
        print($"  at start:            RSS {Mib(rssStart)}, {filesStart} open files");
        print($"  peak while touched:  RSS {Mib(peakRss)}, {peakFiles} open files, {peakOpen} documents open");
        print($"  at the last close:   RSS {Mib(rssAtClose)}, {filesAtClose} open files; closing took {closed.TotalSeconds:0.0} s");
        print($"  after the release:   RSS {Mib(rssReleased)} ({Mib(rssCollected)} after a full GC), {filesReleased} open files, {open} documents open; "
            + $"{releases} memory release(s) by the server{(releases == releasesAtClose ? " (none after the last close within 90 s)" : "")}, {released.TotalSeconds:0.0} s after the last close");
        print($"  where, at start:        {breakdownStart}");
        print($"  where, at last close:   {breakdownAtClose}");
        print($"  where, after release:   {breakdownReleased}");
        print($"  where, after a full GC: {breakdownCollected}");
        print($"  files at start:         {filesKindsStart}");
        print($"  files after release:    {filesKindsReleased}");
    }

    /// <summary>
    /// The server runs in a child process here too, as it would beside its clients on other machines: 42 clients' loops
    /// and collections in the server's own process would be measured as the server's latency.
    /// </summary>
    private static async Task SlowStepAsync(int roundTrips, Action<string> print, string? serverExe)
    {
        if (JitTrace.Requested)
        {
            JitTrace.Start();
        }

        await using ServerProcess server = await ServerProcess.StartAsync(slowDocument: "slow", serverExe: serverExe);
        using LocalDocument otherDocument = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "other", Reducer = BenchMutations.Reducer });
        otherDocument.Mutate(new BenchMutations.CreateTable());
        await using var otherClient = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = "other" });
        otherClient.Add(otherDocument);
        otherClient.Start();
        await UntilAsync(() => otherDocument.PendingMutationCount == 0);
        (LocalDocument, SqlSyncClient) other = (otherDocument, otherClient);

        // Warm-up (the JIT tiers the server's and client's paths up; the figures are of steady state), then the baseline,
        // then with a step that runs until released and 40 clients waiting on its document.
        // Warm-up rounds until neither process compiles methods any more (tiered compilation promotes hot methods in the
        // background for a while; a 2-core machine runs that JIT beside the round trips), at most 20 rounds.
        (int warmups, bool settled) = await RoundsUntilQuietAsync(server, "warm-up round", 20, print, async () =>
        {
            await RoundTripsAsync(other, roundTrips);
            await HttpAsync(server.SyncUri, roundTrips);
        });

        await server.StepsAsync();
        long serverBefore = await server.CompiledMethodsAsync(), clientBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        (double P50, double P99, double Max) quiet = await RoundTripsAsync(other, roundTrips);
        await PrintCompiledAsync(server, "quiet round trips", print);
        (int Count, double P50, double P99, double Max) quietSteps = await server.StepsAsync();
        (double P50, double P99, double Max) quietHttp = await HttpAsync(server.SyncUri, roundTrips);
        using LocalDocument slowDocument = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "slow", Reducer = BenchMutations.Reducer });
        await using var slowClient = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = "slow" });
        try
        {
            slowDocument.Mutate(new BenchMutations.CreateTable());
            slowClient.Add(slowDocument);
            slowClient.Start();
            while (!await server.SlowStepRunningAsync())
            {
                await Task.Delay(10);
            }

            var waiters = new List<(LocalDocument, SqlSyncClient)>();
            for (int i = 0; i < 40; i++)
            {
                var document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "slow", Reducer = BenchMutations.Reducer });
                document.Mutate(new BenchMutations.CreateTable());
                var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = $"waiter-{i}" });
                client.Add(document);
                client.Start();
                waiters.Add((document, client));
            }

            await PrintCompiledAsync(server, "quiet HTTP, the slow step and its 40 waiters starting", print);
            // First while the 40 clients arrive (their first connections: the JIT compiles and tiers up their paths in both
            // processes), then once they all wait and a round compiled nothing: the steady state the target is about.
            (double P50, double P99, double Max) arriving = await RoundTripsAsync(other, roundTrips);
            await PrintCompiledAsync(server, "round trips while the 40 waiters arrive", print);
            var parked = Stopwatch.StartNew();
            while (await server.ConnectionsAsync() < 42 && parked.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(10);
            }

            long busyConnections = await server.ConnectionsAsync();
            (int settleRounds, bool busySettled) = await RoundsUntilQuietAsync(server, "settling round beside the slow step", 8, print,
                async () => await RoundTripsAsync(other, roundTrips));

            await server.StepsAsync();
            long serverBusyBefore = await server.CompiledMethodsAsync(), clientBusyBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
            (double P50, double P99, double Max) busy = await RoundTripsAsync(other, roundTrips);
            long serverBusyAfter = await server.CompiledMethodsAsync(), clientBusyAfter = System.Runtime.JitInfo.GetCompiledMethodCount();
            await PrintCompiledAsync(server, "round trips beside the slow step", print);
            (int Count, double P50, double P99, double Max) busySteps = await server.StepsAsync();
            (double P50, double P99, double Max) busyHttp = await HttpAsync(server.SyncUri, roundTrips);
            bool stillRunning = await server.SlowStepRunningAsync();
            await server.ReleaseSlowStepAsync();
            foreach ((LocalDocument document, SqlSyncClient client) in waiters)
            {
                await client.DisposeAsync();
                document.Dispose();
            }

            long serverAfter = await server.CompiledMethodsAsync(), clientAfter = System.Runtime.JitInfo.GetCompiledMethodCount();
            print($"warm-up: {warmups} round(s) of {roundTrips} round trips{(settled ? ", until a round compiled no method" : " (the limit: each round still compiled methods)")}; during the measured rounds the JIT compiled {serverAfter - serverBefore} method(s) in the server, {clientAfter - clientBefore} in the clients' process");
            print($"unrelated document, {roundTrips} round trips (mutate until the server's storage is back), ms:");
            print($"  quiet server:                          p50 {quiet.P50:0.00}, p99 {quiet.P99:0.00}, max {quiet.Max:0.00}");
            print($"  while the 40 waiters arrive:           p50 {arriving.P50:0.00}, p99 {arriving.P99:0.00}, max {arriving.Max:0.00}");
            print($"  beside a slow step with 40 waiting:    p50 {busy.P50:0.00}, p99 {busy.P99:0.00}, max {busy.Max:0.00}{(stillRunning ? "" : " (the slow step ended before the run did)")}");
            print($"    (measured once {busyConnections} connections were open and after {settleRounds} settling round(s){(busySettled ? ", the last compiling no method" : " (the limit: each still compiled methods)")}; "
                + $"the JIT compiled {serverBusyAfter - serverBusyBefore} method(s) in the server and {clientBusyAfter - clientBusyBefore} in the clients' process during it)");
            print($"the server's steps in those round trips (metric sqlsync.step.duration), ms:");
            print($"  quiet server:                          p50 {quietSteps.P50:0.00}, p99 {quietSteps.P99:0.00}, max {quietSteps.Max:0.00} ({quietSteps.Count} steps)");
            print($"  beside a slow step with 40 waiting:    p50 {busySteps.P50:0.00}, p99 {busySteps.P99:0.00}, max {busySteps.Max:0.00} ({busySteps.Count} steps)");
            print($"plain HTTP GET of the endpoint, {roundTrips} requests, ms:");
            print($"  quiet server:                          p50 {quietHttp.P50:0.00}, p99 {quietHttp.P99:0.00}, max {quietHttp.Max:0.00}");
            print($"  beside a slow step with 40 waiting:    p50 {busyHttp.P50:0.00}, p99 {busyHttp.P99:0.00}, max {busyHttp.Max:0.00}");
        }
        finally
        {
            await server.ReleaseSlowStepAsync();
        }
    }

    /// <summary>
    /// Runs <paramref name="round"/> until a round compiled no method in either process (the first round only sets the
    /// baseline) or <paramref name="limit"/> rounds ran; returns how many ran and whether the last compiled nothing.
    /// </summary>
    private static async Task<(int Rounds, bool Settled)> RoundsUntilQuietAsync(ServerProcess server, string label, int limit, Action<string> print, Func<Task> round)
    {
        int rounds = 0;
        long serverJitted = -1, clientJitted = -1;
        bool settled = false;
        while (rounds < limit && !settled)
        {
            await round();
            rounds++;
            long serverNow = await server.CompiledMethodsAsync();
            long clientNow = System.Runtime.JitInfo.GetCompiledMethodCount();
            settled = serverNow == serverJitted && clientNow == clientJitted;
            await PrintCompiledAsync(server, $"{label} {rounds}", print);
            (serverJitted, clientJitted) = (serverNow, clientNow);
        }

        return (rounds, settled);
    }

    /// <summary>With <c>SQLSYNC_BENCH_JIT_TRACE=1</c>: the methods each process compiled since the last call, by name.</summary>
    private static async Task PrintCompiledAsync(ServerProcess server, string phase, Action<string> print)
    {
        if (JitTrace.Requested)
        {
            string indent = Environment.NewLine + "    ";
            print($"compiled during {phase}:");
            print($"  server: {(await server.CompiledNamesAsync()).Replace(" | ", indent, StringComparison.Ordinal)}");
            print($"  clients: {string.Join(indent, JitTrace.TakeSummary(40))}");
        }
    }

    /// <summary>
    /// Mutates <paramref name="other"/> and waits until the server's storage is back, <paramref name="count"/> times. One
    /// document and client serve every round: a fresh one per round would run its once-per-document code a few more times
    /// each round, and the JIT would keep tiering that up round after round instead of reaching steady state.
    /// </summary>
    private static async Task<(double P50, double P99, double Max)> RoundTripsAsync((LocalDocument Document, SqlSyncClient Client) other, int count)
    {
        var samples = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            other.Document.Mutate(new BenchMutations.InsertRow(Interlocked.Increment(ref s_row), BenchMutations.RowText));
            await other.Client.WaitUntilSyncedAsync(other.Document);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return Summary(samples);
    }

    private static long s_row;

    private static async Task<(double P50, double P99, double Max)> HttpAsync(Uri server, int count)
    {
        using var http = new HttpClient();
        var uri = new UriBuilder(server) { Scheme = "http" }.Uri;
        var samples = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await http.GetAsync(uri);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return Summary(samples);
    }

    /// <summary>Spins (yielding) until <paramref name="condition"/>: a delay's 1 ms+ granularity would swamp the figures.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("The round trip did not complete in 60 s.");
            }

            await Task.Yield();
        }
    }

    private static (double P50, double P99, double Max) Summary(double[] samples)
    {
        Array.Sort(samples);
        return (samples[samples.Length / 2], samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(samples.Length * 0.99) - 1)], samples[^1]);
    }

    private static async Task<T> ReceiveAsync<T>(WebSocket socket)
        where T : SyncMessage
    {
        while (true)
        {
            (SyncMessage? message, _) = await WebSocketFrames.ReceiveAsync(socket, SyncProtocol.DefaultMaxFrameBytes, CancellationToken.None);
            switch (message)
            {
                case T wanted:
                    return wanted;
                case null or ErrorMessage:
                    throw new InvalidOperationException($"The server answered {message?.ToString() ?? "with a close"} while {typeof(T).Name} was expected.");
            }
        }
    }

    private static string Mib(long bytes) => ProcessMemory.Mib(bytes);
}
