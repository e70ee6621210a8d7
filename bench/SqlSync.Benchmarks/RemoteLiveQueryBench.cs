using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 17: a mutation on one client → a live query on another client shows it, over loopback WebSockets
/// through an in-process Kestrel server, at a steady 200 mutations a second. Client A inserts row k; client B's
/// live query <c>SELECT max(id)</c> delivers; every k up to the delivered maximum counts as seen then (a rebase
/// that brings several entries delivers once), measured from just before A's Mutate.
/// </summary>
internal static class RemoteLiveQueryBench
{
    public static async Task<int> RunAsync(bool quick, Action<string> print)
    {
        const int PerSecond = 200;
        int samples = quick ? 400 : 4_000;
        const int Warmup = 100;
        await using BenchServer server = await BenchServer.StartAsync(fsyncOnAppend: false);
        using LocalDocument a = Open();
        using LocalDocument b = Open();
        await using SqlSyncClient clientA = Connect(server, a, "writer");
        await using SqlSyncClient clientB = Connect(server, b, "reader");
        a.Mutate(new BenchMutations.CreateTable());
        var ready = Stopwatch.StartNew();
        while (b.Query<long>("SELECT count(*) FROM sqlite_schema WHERE name = 't'")[0] == 0)
        {
            if (ready.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("the reader never saw the table");
            }

            await Task.Delay(5);
        }

        int total = samples + Warmup;
        var startedAt = new long[total + 1];
        var latencies = new double[total + 1];
        long seenUpTo = 0;
        using var live = b.Live<long>("SELECT coalesce(max(id), 0) FROM t");
        using var done = new SemaphoreSlim(0);
        live.Changed += (_, rows) =>
        {
            long now = Stopwatch.GetTimestamp();
            long max = rows[0];
            for (long k = seenUpTo + 1; k <= max && k <= total; k++)
            {
                latencies[k] = Stopwatch.GetElapsedTime(Volatile.Read(ref startedAt[k]), now).TotalMilliseconds;
            }

            seenUpTo = Math.Max(seenUpTo, max);
            if (max >= total)
            {
                done.Release();
            }
        };

        long period = Stopwatch.Frequency / PerSecond;
        long next = Stopwatch.GetTimestamp();
        for (int k = 1; k <= total; k++)
        {
            while (Stopwatch.GetTimestamp() < next)
            {
                Thread.Sleep(0);
            }

            Volatile.Write(ref startedAt[k], Stopwatch.GetTimestamp());
            a.Mutate(new BenchMutations.InsertRow(k, BenchMutations.RowText));
            next += period;
        }

        if (!await done.WaitAsync(TimeSpan.FromSeconds(120)))
        {
            throw new TimeoutException($"the reader saw up to {Volatile.Read(ref seenUpTo)} of {total}");
        }

        List<double> measured = latencies.Skip(1 + Warmup).ToList();
        measured.Sort();
        print($"live query on another client: A mutates at {PerSecond}/s over loopback WebSockets, B's live query delivers; {samples} mutations after {Warmup} (ms)");
        print($"  p50 {measured[measured.Count / 2]:0.000}  p99 {measured[(int)(measured.Count * 0.99)]:0.000}  max {measured[^1]:0.000}  (B ran the query {live.RunCount} times)");
        return 0;
    }

    private static LocalDocument Open() =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = "live-remote-bench", Reducer = BenchMutations.Reducer, FsyncOnAppend = false });

    private static SqlSyncClient Connect(BenchServer server, LocalDocument document, string name)
    {
        var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = name });
        client.Add(document);
        client.Start();
        return client;
    }
}
