using System.Diagnostics;
using System.Globalization;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 17: one client publishes its presence state; the time until each of 50 other clients (real WebSockets to an
/// in-process Kestrel on loopback) has seen it, p50 and p99 over every (update, client) pair, and of the last client
/// per update. Updates go one at a time (the next once all 50 saw the previous).
/// </summary>
internal static class PresenceBench
{
    public static async Task<int> RunAsync(bool quick, Action<string> print)
    {
        const int Watchers = 50;
        int updates = quick ? 30 : 300;
        // Steady state: the server's fan-out runs once per update, so its methods cross tiered compilation's thresholds
        // (30 calls, then a background tier-1 compile) only after tens of updates; with 5 warm-up updates the JIT still
        // compiled in the measured ones. The JIT's count during them is printed.
        int warmup = quick ? 5 : 100;
        // The publish rate limit off: this measures fan-out, one update after another as fast as they are seen.
        await using BenchServer server = await BenchServer.StartAsync(fsyncOnAppend: false, o => o.Presence.MaxPublishesPerSecond = 0);
        var documents = new List<LocalDocument>();
        var clients = new List<SqlSyncClient>();
        SqlSyncClient Connect(string name)
        {
            var document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "presence-bench", Reducer = BenchMutations.Reducer, FsyncOnAppend = false });
            var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = name });
            client.Add(document);
            client.Start();
            documents.Add(document);
            clients.Add(client);
            return client;
        }

        SqlSyncClient publisher = Connect("publisher");
        DocumentPresence published = publisher.Presence(documents[0]);
        int current = -1;
        int seenCount = 0;
        long sentAt = 0;
        var latencies = new List<double>();
        var lastPerUpdate = new List<double>();
        using var allSeen = new SemaphoreSlim(0);
        for (int w = 0; w < Watchers; w++)
        {
            SqlSyncClient watcher = Connect("watcher-" + w.ToString(CultureInfo.InvariantCulture));
            int lastSeen = -1;
            watcher.Presence(documents[^1]).PeersChanged += (_, peers) =>
            {
                long now = Stopwatch.GetTimestamp();
                foreach (PresencePeer peer in peers)
                {
                    if (int.TryParse(peer.StateText, CultureInfo.InvariantCulture, out int k) && k == Volatile.Read(ref current) && lastSeen != k)
                    {
                        lastSeen = k;
                        lock (latencies)
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt), now).TotalMilliseconds);
                        }

                        if (Interlocked.Increment(ref seenCount) == Watchers)
                        {
                            lastPerUpdate.Add(Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt), now).TotalMilliseconds);
                            allSeen.Release();
                        }
                    }
                }
            };
        }

        long jitBefore = 0;
        int[] gcBefore = [];
        for (int i = 0; i < updates + warmup; i++)
        {
            if (i == warmup)
            {
                jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
                gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                lock (latencies)
                {
                    latencies.Clear(); // the first updates also wait for connections and opens
                }

                lastPerUpdate.Clear();
            }

            Interlocked.Exchange(ref seenCount, 0);
            Volatile.Write(ref sentAt, Stopwatch.GetTimestamp());
            Volatile.Write(ref current, i);
            published.Publish(i.ToString(CultureInfo.InvariantCulture));
            if (!await allSeen.WaitAsync(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"update {i}: {Volatile.Read(ref seenCount)} of {Watchers} clients saw it");
            }
        }

        long jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore;
        string gcs = $"{GC.CollectionCount(0) - gcBefore[0]}/{GC.CollectionCount(1) - gcBefore[1]}/{GC.CollectionCount(2) - gcBefore[2]}";
        latencies.Sort();
        lastPerUpdate.Sort();
        print($"presence: 1 publisher, {Watchers} watchers, {updates} updates over loopback WebSockets after {warmup} warm-up updates (ms); " +
              $"during them the JIT compiled {jitted} method(s), GCs gen0/1/2 {gcs}");
        print($"  each client sees an update   p50 {latencies[latencies.Count / 2]:0.000}  p99 {latencies[(int)(latencies.Count * 0.99)]:0.000}  max {latencies[^1]:0.000}");
        print($"  all {Watchers} have seen it      p50 {lastPerUpdate[lastPerUpdate.Count / 2]:0.000}  p99 {lastPerUpdate[(int)(lastPerUpdate.Count * 0.99)]:0.000}  max {lastPerUpdate[^1]:0.000}");
        foreach (SqlSyncClient client in clients)
        {
            await client.DisposeAsync();
        }

        documents.ForEach(d => d.Dispose());
        return 0;
    }
}
