using System.Diagnostics;
using System.Net;
using SqlSync.Benchmarks.Cluster;
using SqlSync.Documents;
using SqlSync.Transport;

// Usage: dotnet run -c Release --project bench/SqlSync.Benchmarks.Cluster -- [--quick] [--fsync on|off] [--no-write]
// Issue 19: one document's propagation (client A mutates, client B on another node sees it) p50/p99 and mutations/s,
// through a grain hop (3 silos in this process) against the single server; failover (a silo killed: time to the first
// acknowledged mutation of each moved document, p50/p99) and documents per silo. It only prints (--no-write is
// accepted for the lead's quiet re-runs); the figures go to docs/benchmarks.md by hand.
bool quick = args.Contains("--quick");
int fsyncIndex = Array.IndexOf(args, "--fsync");
bool fsync = fsyncIndex >= 0 && fsyncIndex + 1 < args.Length && args[fsyncIndex + 1] == "on";
int samples = quick ? 40 : 200, burst = quick ? 300 : 2_000, documents = 30;
string root = Path.Combine(Path.GetTempPath(), "sqlsync-cluster-bench-" + Guid.NewGuid().ToString("N"));
Console.WriteLine($"cluster benchmark: {Environment.ProcessorCount} cores, fsync {(fsync ? "on" : "off")}, {samples} propagation samples, bursts of {burst}; three silos share this process and its cores");
try
{
    await using (BenchNode single = await BenchNode.StartAsync(Path.Combine(root, "single"), fsync, silo: null))
    {
        await MeasureDocumentAsync("single server", single.Uri, single.Uri);
    }

    var silos = new List<BenchNode>();
    int primaryPort = BenchNode.FreePort();
    var primary = new IPEndPoint(IPAddress.Loopback, primaryPort);
    try
    {
        for (int i = 0; i < 3; i++)
        {
            silos.Add(await BenchNode.StartAsync(Path.Combine(root, "cluster"), fsync, (i == 0 ? primaryPort : BenchNode.FreePort(), primary)));
        }

        await MeasureDocumentAsync("cluster, A and B on silos 1 and 2", silos[1].Uri, silos[2].Uri);
        await MeasureFailoverAsync(silos);
    }
    finally
    {
        for (int i = silos.Count - 1; i >= 0; i--)
        {
            await silos[i].DisposeAsync();
        }
    }
}
finally
{
    try
    {
        Directory.Delete(root, recursive: true);
    }
    catch (IOException)
    {
    }
}

return 0;

async Task MeasureDocumentAsync(string what, Uri uriA, Uri uriB)
{
    string id = "bench-" + Guid.NewGuid().ToString("N")[..8];
    using LocalDocument a = Replica("a", id), b = Replica("b", id);
    await using SqlSyncClient syncA = Connect(uriA, a), syncB = Connect(uriB, b);
    a.Log("warmup");
    await WaitAsync(() => Count(b) == 1);
    var propagation = new List<double>();
    for (int i = 0; i < samples; i++)
    {
        long started = Stopwatch.GetTimestamp();
        a.Log($"p{i}");
        try
        {
            await WaitAsync(() => Count(b) == i + 2);
        }
        catch (TimeoutException)
        {
            Console.WriteLine($"{what}: sample {i} did not reach B: A {a.StorageRange} pending {a.PendingMutationCount}; B {b.StorageRange}, {syncB.GetSyncState(b)}, last error {syncB.LastError?.Message}");
            throw;
        }
        propagation.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await Task.Delay(10);
    }

    long burstStarted = Stopwatch.GetTimestamp();
    for (int i = 0; i < burst; i++)
    {
        a.Log($"m{i}");
    }

    try
    {
        await WaitAsync(() => a.PendingMutationCount == 0);
    }
    catch (TimeoutException)
    {
        Console.WriteLine($"{what}: the burst was not acknowledged: {a.PendingMutationCount} pending, {syncA.GetSyncState(a)}, last error {syncA.LastError?.Message}");
        throw;
    }

    double seconds = Stopwatch.GetElapsedTime(burstStarted).TotalSeconds;
    Console.WriteLine($"{what}: propagation A->B p50 {Percentile(propagation, 50):0.0} ms, p99 {Percentile(propagation, 99):0.0} ms; "
        + $"{burst} mutations acknowledged in {seconds:0.00} s = {burst / seconds:0} mutations/s (one document)");
}

async Task MeasureFailoverAsync(List<BenchNode> silos)
{
    string[] ids = Enumerable.Range(0, documents).Select(i => $"f{i:00}").ToArray();
    var replicas = ids.Select(id => Replica("f", id)).ToList();
    await using SqlSyncClient client = Connect(silos[0].Uri, [.. replicas]); // on the primary, which stays: only documents move
    foreach (LocalDocument replica in replicas)
    {
        replica.Log("open");
    }

    await WaitAsync(() => replicas.All(r => r.PendingMutationCount == 0));
    int[] perSilo = silos.Select(s => ids.Count(s.Host.IsOpen)).ToArray();
    Console.WriteLine($"documents per silo: {string.Join(", ", perSilo)} (max {perSilo.Max()}, min {perSilo.Min()}) over {documents}");
    BenchNode victim = silos.Skip(1).OrderByDescending(s => ids.Count(s.Host.IsOpen)).First();
    List<LocalDocument> moved = replicas.Where(r => victim.Host.IsOpen(r.DocumentId)).ToList();
    long killed = Stopwatch.GetTimestamp();
    await victim.KillAsync();
    foreach (LocalDocument replica in moved)
    {
        replica.Log("after-kill");
    }

    var firstAck = new double[moved.Count];
    await WaitAsync(() =>
    {
        for (int i = 0; i < moved.Count; i++)
        {
            if (firstAck[i] == 0 && moved[i].PendingMutationCount == 0)
            {
                firstAck[i] = Stopwatch.GetElapsedTime(killed).TotalMilliseconds;
            }
        }

        return firstAck.All(t => t > 0);
    }, TimeSpan.FromMinutes(3));
    Console.WriteLine($"failover: {moved.Count} documents moved; silo kill -> first acknowledged mutation p50 {Percentile(firstAck, 50):0} ms, p99 {Percentile(firstAck, 99):0} ms (the client's reopen delay after a refusal is 1 s, doubling)");
    foreach (LocalDocument replica in replicas)
    {
        replica.Dispose();
    }
}

LocalDocument Replica(string client, string id) => LocalDocument.Open(new LocalDocumentOptions
{
    DocumentId = id,
    Reducer = BenchLog.Reducer.Instance,
    Directory = Path.Combine(root, "clients", client, id),
    FsyncOnAppend = fsync,
});

static SqlSyncClient Connect(Uri uri, params LocalDocument[] documents)
{
    var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = uri, ClientName = "bench", ReconnectMinDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(500) });
    foreach (LocalDocument document in documents)
    {
        client.Add(document);
    }

    client.Start();
    return client;
}

static long Count(LocalDocument document) =>
    document.QueryScalar<long>("SELECT count(*) FROM sqlite_master WHERE name = 'log'") == 0 ? 0 : document.QueryScalar<long>("SELECT count(*) FROM log");

static async Task WaitAsync(Func<bool> condition, TimeSpan? timeout = null)
{
    DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
    while (!condition())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("the benchmark's condition was not met in time");
        }

        await Task.Delay(1);
    }
}

static double Percentile(IReadOnlyList<double> values, int percent)
{
    double[] sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

