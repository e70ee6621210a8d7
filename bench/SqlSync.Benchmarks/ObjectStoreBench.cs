using System.Globalization;
using Azure.Core;
using Azure.Storage.Blobs;
using SqlSync.Server;
using SqlSync.Storage.Azure;

namespace SqlSync.Benchmarks;

/// <summary>
/// <c>objstore</c> (issue 18): the network benchmark's propagation (two WebSocket clients, one mutation every 5 ms) and
/// sustained mutations/s (10 clients on one document), on file journals (fsync on) and on blobs in Azurite, with the
/// storage requests per 1,000 mutations counted in the blob client's pipeline. Azurite is started as the tests start it
/// (eng/azurite, or SQLSYNC_AZURITE). Prints its table; writes no file (<c>--no-write</c> is accepted and changes nothing).
/// </summary>
internal static class ObjectStoreBench
{
    private const int PacedRate = 200;
    private const int Clients = 10;

    public static async Task<int> RunAsync(bool quick, Action<string> print)
    {
        int paced = quick ? 400 : 2_000;
        TimeSpan warmup = TimeSpan.FromSeconds(quick ? 2 : 5), duration = TimeSpan.FromSeconds(quick ? 5 : 20);
        TimeSpan interval = TimeSpan.FromSeconds(1.0 / PacedRate);
        print($"objstore: {paced} mutations at {PacedRate}/s, then {Clients} clients for {duration.TotalSeconds:0} s (warm-up {warmup.TotalSeconds:0} s); " +
              $"{Environment.ProcessorCount} cores, load average {LoadAverage()}");
        using var meter = new WireMeter();
        LatencyResult fileLatency = await LatencyBench.RunAsync(meter, fsync: true, paced, interval);
        ThroughputResult fileThroughput = await ThroughputBench.RunAsync(meter, fsync: true, Clients, warmup, duration);

        using var azurite = new SqlSync.Storage.Azure.AzuriteFixture();
        if (azurite.StartError is { } error)
        {
            print("Azurite is not available: " + error);
            return 1;
        }

        var counter = new RequestCounter();
        BlobContainerClient Container() => azurite.NewContainer(o => o.AddPolicy(counter, HttpPipelinePosition.PerRetry));
        var before = counter.Snapshot();
        LatencyResult blobLatency = await LatencyBench.RunAsync(meter, fsync: true, paced, interval, o => o.UseBlobJournals(Container()));
        var afterPaced = counter.Snapshot();
        long appliedBefore = meter.MutationsApplied;
        ThroughputResult blobThroughput = await ThroughputBench.RunAsync(meter, fsync: true, Clients, warmup, duration, o => o.UseBlobJournals(Container()));
        var afterMax = counter.Snapshot();
        long appliedMax = meter.MutationsApplied - appliedBefore;

        print("");
        print("| Store | propagation p50 / p99 at 200/s | sent rate | sustained mutations/s, 10 clients | mutations per step |");
        print("|-------|-------------------------------|-----------|-----------------------------------|--------------------|");
        print($"| files, fsync | {fileLatency.P50:0.0} / {fileLatency.P99:0.0} ms | {fileLatency.SendRate:0}/s | {fileThroughput.AppliedPerSecond:N0} | {fileThroughput.MutationsPerStep:0.0} |");
        print($"| blobs (Azurite) | {blobLatency.P50:0.0} / {blobLatency.P99:0.0} ms | {blobLatency.SendRate:0}/s | {blobThroughput.AppliedPerSecond:N0} | {blobThroughput.MutationsPerStep:0.0} |");
        print("");
        print("| Blob requests per 1,000 mutations | writes (Put Blob) | lists | reads | deletes (free) |");
        print("|-----------------------------------|-------------------|-------|-------|----------------|");
        print(Row($"at {PacedRate}/s ({paced} mutations, setup included)", Diff(afterPaced, before), paced));
        print(Row($"at the maximum rate ({appliedMax:N0} mutations, warm-up and setup included)", Diff(afterMax, afterPaced), appliedMax));
        return 0;
    }

    private static (long Writes, long Lists, long Reads, long Deletes) Diff((long W, long L, long R, long D) after, (long W, long L, long R, long D) before) =>
        (after.W - before.W, after.L - before.L, after.R - before.R, after.D - before.D);

    private static string Row(string what, (long Writes, long Lists, long Reads, long Deletes) n, long mutations)
    {
        double per = 1000.0 / Math.Max(1, mutations);
        return string.Create(CultureInfo.InvariantCulture, $"| {what} | {n.Writes * per:0.0} | {n.Lists * per:0.00} | {n.Reads * per:0.00} | {n.Deletes * per:0.00} |");
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
