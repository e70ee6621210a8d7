using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 14's initial sync: a writer fills a document of about <c>megabytes</c> MB on an in-process Kestrel server
/// (loopback WebSocket); then a new client with an empty folder syncs it, timed from its start to holding the server's
/// storage, then its first query (a count over every row, SQLite's cache cold). Twice: a server that has not checkpointed
/// (the client takes the entries) and one that checkpoints and compacts (the client takes the checkpoint).
/// </summary>
internal static class InitialSyncBench
{
    private const int RowsPerMutation = 250, HalfBytesPerRow = 2000; // 4,000-byte rows: about 1 MB per mutation

    /// <summary>What to run: which cases, how many fresh clients each, and a perf control fifo to enable around each sync.</summary>
    public sealed record Settings(int Megabytes, bool Entries = true, bool Checkpoint = true, int Runs = 1, string? PerfFifo = null);

    public static async Task<int> RunAsync(Settings settings, Action<string> print)
    {
        print($"load average at start: {MachineInfo.LoadAverage()}");
        await InitialSyncCeiling.RunAsync(settings.Megabytes, print);
        if (settings.Entries)
        {
            await RunCaseAsync(settings, fromCheckpoint: false, print);
        }

        if (settings.Checkpoint)
        {
            await RunCaseAsync(settings, fromCheckpoint: true, print);
        }

        print($"load average at end: {MachineInfo.LoadAverage()}");
        return 0;
    }

    /// <summary>One server filled once, then <see cref="Settings.Runs"/> new clients, each with an empty folder, one after the other.</summary>
    private static async Task RunCaseAsync(Settings settings, bool fromCheckpoint, Action<string> print)
    {
        using var meter = new WireMeter();
        await using BenchServer server = await BenchServer.StartAsync(fsyncOnAppend: false, options =>
        {
            // Never checkpointed, so a new client takes the entries (a young document: its history under twice the
            // database); or checkpointed each time the entries since the last reach half the database and compacted at
            // once. Since decision 0042 a new client takes the checkpoint whenever there is one, kept entries or not.
            options.StorageRetention = fromCheckpoint ? TimeSpan.Zero : null;
            options.CheckpointJournalRatio = 0.5;
            options.CheckpointMinJournalBytes = fromCheckpoint ? options.CheckpointMinJournalBytes : long.MaxValue;
        });
        using var temp = new TempRoot("initial-sync");
        (long databaseBytes, int rows, LsnTarget target) = await FillAsync(server.SyncUri, settings.Megabytes, fromCheckpoint ? temp.Sub("writer") : null, print);
        var rates = new List<double>();
        var cpuPerMegabyte = new List<double>();
        for (int run = 0; run < settings.Runs; run++)
        {
            (double rate, double cpu) = await SyncOnceAsync(server, meter, temp.Sub($"client{run}"), fromCheckpoint, databaseBytes, rows, target, settings.PerfFifo, print);
            rates.Add(rate);
            cpuPerMegabyte.Add(cpu);
        }

        if (settings.Runs > 1)
        {
            rates.Sort();
            cpuPerMegabyte.Sort();
            print($"{Case(fromCheckpoint)}, median of {settings.Runs}: {rates[settings.Runs / 2]:N0} MB/s, {cpuPerMegabyte[settings.Runs / 2] * 1000:N2} CPU-ms per MB");
        }
    }

    private static string Case(bool fromCheckpoint) => fromCheckpoint ? "from the checkpoint" : "from the entries";

    private static async Task<(double Rate, double CpuPerMegabyte)> SyncOnceAsync(BenchServer server, WireMeter meter, string directory, bool fromCheckpoint,
        long databaseBytes, int rows, LsnTarget target, string? perfFifo, Action<string> print)
    {
        using LocalDocument fresh = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = BenchPeer.DocumentId, Reducer = BenchMutations.Reducer, Directory = directory,
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
        int[] gcSync = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        PerfControl(perfFifo, "enable");
        double cpuBefore = CpuClock.Seconds();
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
        double cpuSeconds = CpuClock.Seconds() - cpuBefore;
        PerfControl(perfFifo, "disable");
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        string syncGcs = $"{GC.CollectionCount(0) - gcSync[0]}/{GC.CollectionCount(1) - gcSync[1]}/{GC.CollectionCount(2) - gcSync[2]}";
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
        double megabytes = databaseBytes / 1e6;
        print($"{Case(fromCheckpoint)}: database {megabytes:N1} MB; synced in {syncSeconds:N2} s = " +
              $"{megabytes / syncSeconds:N0} MB/s; CPU (process: client and server) {cpuSeconds:N2} s = {cpuSeconds / megabytes * 1000:N2} CPU-ms per MB, GCs gen0/1/2 {syncGcs}, {allocated / 1e6:N0} MB allocated (client and server); " +
              $"first query (count of {rows:N0} rows) {firstQueryMs:N0} ms after, {syncSeconds * 1000 + firstQueryMs:N0} ms from start; " +
              $"{wire / 1e6:N1} MB on the wire server to client ({(double)wire / databaseBytes:0.00}x); joined from a checkpoint: {fresh.NewestCheckpointLsn is not null}; " +
              (fromCheckpoint ? $"download done at {allBytesInMs:N0} ms (all but the last slice), installed at {installedMs:N0} ms (last slice, fsync, validation, load); " : "") +
              $"first query: {misses:N0} page-cache misses (reads from the checkpoint file), GCs gen0/1/2 {gcs}, pages held in memory {fresh.Database.Storage.HeldPageCount:N0}; the same query again {secondQueryMs:N0} ms");
        return (megabytes / syncSeconds, cpuSeconds / megabytes);
    }

    /// <summary>Writes a command to <c>perf record --control fifo:PATH</c>, so a profile holds the syncs alone, not the fills.</summary>
    private static void PerfControl(string? fifo, string command)
    {
        if (fifo is not null)
        {
            File.AppendAllText(fifo, command + "\n");
        }
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
                throw new TimeoutException($"the writer did not converge (its client's last error: {writer.Client.LastError?.Message ?? "none"})");
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
