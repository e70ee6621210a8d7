using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 14's initial sync: a writer fills a document of about <c>megabytes</c> MB on an in-process Kestrel server
/// (loopback WebSocket); then a new client with an empty folder syncs it, timed from its start to holding the server's
/// storage, then its first query (a count over every row, SQLite's cache cold). Twice: a server that keeps the whole
/// journal (the client takes the entries) and one that checkpoints and compacts (the client takes the checkpoint).
/// </summary>
internal static class InitialSyncBench
{
    private const int RowsPerMutation = 250, HalfBytesPerRow = 2000; // 4,000-byte rows: about 1 MB per mutation

    public static async Task<int> RunAsync(int megabytes, Action<string> print)
    {
        print($"load average at start: {MachineInfo.LoadAverage()}");
        await InitialSyncCeiling.RunAsync(megabytes, print);
        await RunOneAsync(megabytes, fromCheckpoint: false, print);
        await RunOneAsync(megabytes, fromCheckpoint: true, print);
        print($"load average at end: {MachineInfo.LoadAverage()}");
        return 0;
    }

    private static async Task RunOneAsync(int megabytes, bool fromCheckpoint, Action<string> print)
    {
        using var meter = new WireMeter();
        await using BenchServer server = await BenchServer.StartAsync(fsyncOnAppend: false, options =>
        {
            // Kept whole, or checkpointed (each time the entries since the last reach half the database) and compacted at once.
            options.StorageRetention = fromCheckpoint ? TimeSpan.Zero : null;
            options.CheckpointJournalRatio = 0.5;
        });
        using var temp = new TempRoot("initial-sync");
        (long databaseBytes, int rows, LsnTarget target) = await FillAsync(server.SyncUri, megabytes, fromCheckpoint ? temp.Sub("writer") : null, print);
        using LocalDocument fresh = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = BenchPeer.DocumentId, Reducer = BenchMutations.Reducer, Directory = temp.Sub("client"),
        });
        await using var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = "joiner" });
        client.Add(fresh);
        // When the download's bytes were all in, and when it was installed: what the last step (fsync, validation, load) costs.
        double allBytesInMs = 0, installedMs = 0;
        var clockForProgress = new Stopwatch();
        fresh.CheckpointDownloadProgress += (_, p) =>
        {
            if (p.IsComplete)
            {
                installedMs = clockForProgress.Elapsed.TotalMilliseconds;
            }
            else
            {
                allBytesInMs = clockForProgress.Elapsed.TotalMilliseconds; // the last before completion: all but the last slice
            }
        };
        long sentBefore = meter.BytesSent;
        clockForProgress.Start();
        var clock = Stopwatch.StartNew();
        client.Start();
        while (fresh.StorageRange.Next < target.Next)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"the new client holds {fresh.StorageRange} of the server's {target.Next} after 10 minutes");
            }

            await Task.Delay(1);
        }

        double syncSeconds = clock.Elapsed.TotalSeconds;
        SqlSync.Storage.PageCache? cache = fresh.Database.Storage.PageCache;
        long missesBefore = cache?.Misses ?? 0;
        int[] gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long counted = fresh.QueryScalar<long>("SELECT count(*) FROM t");
        double firstQueryMs = clock.Elapsed.TotalMilliseconds - syncSeconds * 1000;
        string gcs = $"{GC.CollectionCount(0) - gcBefore[0]}/{GC.CollectionCount(1) - gcBefore[1]}/{GC.CollectionCount(2) - gcBefore[2]}";
        long misses = (cache?.Misses ?? 0) - missesBefore;
        var again = Stopwatch.StartNew();
        fresh.QueryScalar<long>("SELECT count(*) FROM t");
        double secondQueryMs = again.Elapsed.TotalMilliseconds;
        if (counted != rows || fresh.StorageChecksum != target.Checksum)
        {
            throw new InvalidOperationException($"the new client counted {counted} of {rows} rows (checksum 0x{fresh.StorageChecksum:X16}, server 0x{target.Checksum:X16})");
        }

        long wire = meter.BytesSent - sentBefore;
        print($"{(fromCheckpoint ? "from the checkpoint" : "from the entries")}: database {databaseBytes / 1e6:N1} MB; synced in {syncSeconds:N2} s = " +
              $"{databaseBytes / 1e6 / syncSeconds:N0} MB/s; first query (count of {rows:N0} rows) {firstQueryMs:N0} ms after, {syncSeconds * 1000 + firstQueryMs:N0} ms from start; " +
              $"{wire / 1e6:N1} MB on the wire server to client ({(double)wire / databaseBytes:0.00}x); joined from a checkpoint: {fresh.NewestCheckpointLsn is not null}; " +
              (fromCheckpoint ? $"download done at {allBytesInMs:N0} ms (all but the last slice), installed at {installedMs:N0} ms (last slice, fsync, validation, load); " : "") +
              $"first query: {misses:N0} page-cache misses (reads from the checkpoint file), GCs gen0/1/2 {gcs}, pages held in memory {fresh.Database.Storage.HeldPageCount:N0}; the same query again {secondQueryMs:N0} ms");
    }

    /// <summary>The server's storage end and checksum the new client must reach.</summary>
    private sealed record LsnTarget(SqlSync.Journals.Lsn Next, ulong Checksum);

    private static async Task<(long DatabaseBytes, int Rows, LsnTarget Target)> FillAsync(Uri server, int megabytes, string? directory, Action<string> print)
    {
        var clock = Stopwatch.StartNew();
        await using BenchPeer writer = BenchPeer.Connect(server, "writer", directory);
        int mutations = megabytes;
        for (int i = 0; i < mutations; i++)
        {
            writer.Document.Mutate(new BenchMutations.FillRows((long)i * RowsPerMutation, RowsPerMutation, HalfBytesPerRow));
            if (i % 10 == 9 && !await BenchPeer.ConvergeAsync([writer], TimeSpan.FromMinutes(5)))
            {
                throw new TimeoutException("the writer did not converge");
            }
        }

        if (!await BenchPeer.ConvergeAsync([writer], TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException("the writer did not converge");
        }

        long bytes = writer.Document.QueryScalar<long>("PRAGMA page_count") * 4096;
        print($"filled {bytes / 1e6:N1} MB in {clock.Elapsed.TotalSeconds:N1} s ({mutations} mutations of {RowsPerMutation} rows)");
        return (bytes, mutations * RowsPerMutation, new LsnTarget(writer.Document.StorageRange.Next, writer.Document.StorageChecksum));
    }
}
