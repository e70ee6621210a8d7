using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 14's benchmark: many single-row updates (one step, one storage entry each) on a small database (about
/// 1 MiB); then the coordinator's disk after compaction against the database size, the time to reopen it, and the
/// bytes a new client downloads (checkpoint plus tail, frames as encoded).
/// </summary>
internal static class CheckpointBench
{
    private const uint CreateTag = 1, UpdateTag = 2;
    private const int Rows = 1000;

    public static async Task<int> RunAsync(int updates, Action<string> print)
    {
        string root = Path.Combine(Path.GetTempPath(), "sqlsync-ckpt-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new CoordinatorDocumentOptions
            {
                DocumentId = "bench",
                Reducer = new Reducer(),
                Directory = Path.Combine(root, "server"),
                FsyncOnAppend = false,
                StorageRetention = TimeSpan.Zero,
            };
            var timeline = TimelineId.New();
            ulong next = 0;
            long journalBytes = 0;
            var clock = Stopwatch.StartNew();
            using (CoordinatorDocument coordinator = CoordinatorDocument.Open(options))
            {
                Receive(coordinator, timeline, ref next, Record(CreateTag));
                coordinator.StepAll();
                var random = new Random(14);
                const int batch = 1000;
                for (int done = 0; done < updates; done += batch)
                {
                    var records = new byte[Math.Min(batch, updates - done)][];
                    for (int i = 0; i < records.Length; i++)
                    {
                        records[i] = Record(UpdateTag, random.Next(1, Rows + 1));
                    }

                    Receive(coordinator, timeline, ref next, records);
                    while (coordinator.Step(1) > 0)
                    {
                        journalBytes += LastEntryBytes(coordinator);
                    }
                }

                await coordinator.CheckpointAsync();
                coordinator.CompactNow();
                long databaseBytes = (long)coordinator.Database.Storage.CommittedSizeInPages * 4096;
                long disk = DirectoryBytes(options.Directory!, "storage") + DirectoryBytes(options.Directory!, "checkpoints");
                print($"{updates:N0} single-row updates in {clock.Elapsed.TotalSeconds:0.0} s; database {databaseBytes / 1024.0:N0} KiB; " +
                      $"storage entries written {journalBytes / 1048576.0:N1} MiB");
                print($"coordinator storage on disk after compaction: {disk / 1024.0:N0} KiB = {(double)disk / databaseBytes:0.00}x the database " +
                      $"(checkpoint {DirectoryBytes(options.Directory!, "checkpoints") / 1024.0:N0} KiB + journal {DirectoryBytes(options.Directory!, "storage") / 1024.0:N0} KiB)");
                print($"whole coordinator directory (received timeline journals included): {DirectoryBytes(options.Directory!, ".") / 1024.0:N0} KiB");
            }

            var reopen = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                var watch = Stopwatch.StartNew();
                using CoordinatorDocument reopened = CoordinatorDocument.Open(options);
                reopen.Add(watch.Elapsed.TotalMilliseconds);
            }

            reopen.Sort();
            print($"reopen (newest checkpoint + tail): median {reopen[2]:0.0} ms, min {reopen[0]:0.0} ms of 5");

            using (CoordinatorDocument coordinator = CoordinatorDocument.Open(options))
            {
                coordinator.StepAll();
                var provider = new Provider(coordinator);
                var server = new ReplicationServer(provider);
                using LocalDocument fresh = LocalDocument.Open(new LocalDocumentOptions
                {
                    DocumentId = "bench", Reducer = new Reducer(), Directory = Path.Combine(root, "client"), FsyncOnAppend = false,
                });
                var client = new ReplicationClient("bench");
                client.AddDocument(fresh);
                long downloaded = Pump(client, server.CreateLink(LinkIdentity.Anonymous));
                long databaseBytes = (long)coordinator.Database.Storage.CommittedSizeInPages * 4096;
                if (fresh.StorageChecksum != coordinator.StorageChecksum)
                {
                    throw new InvalidOperationException("The new client did not converge.");
                }

                print($"a new client downloads {downloaded / 1024.0:N0} KiB (frames, server to client) = {(double)downloaded / databaseBytes:0.00}x the database");
            }

            return 0;
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
    }

    private static long Pump(ReplicationClient client, ServerLink link)
    {
        long toClient = 0;
        var toServer = new Queue<SyncMessage>(client.Connect());
        for (int round = 0; round < 1_000_000; round++)
        {
            foreach (SyncMessage m in client.Poll())
            {
                toServer.Enqueue(m);
            }

            var toClientNow = new List<SyncMessage>(link.Poll());
            while (toServer.TryDequeue(out SyncMessage? m))
            {
                toClientNow.AddRange(link.Handle(SyncMessageCodec.Decode(SyncMessageCodec.Encode(m))));
            }

            if (toClientNow.Count == 0)
            {
                return toClient;
            }

            foreach (SyncMessage m in toClientNow)
            {
                byte[] frame = SyncMessageCodec.Encode(m);
                toClient += frame.Length;
                foreach (SyncMessage reply in client.Handle(SyncMessageCodec.Decode(frame)))
                {
                    toServer.Enqueue(reply);
                }
            }
        }

        throw new InvalidOperationException("The link never went quiet.");
    }

    /// <summary>The size of the entry a step just wrote; 0 in the rare case a compaction dropped it already (an undercount).</summary>
    private static long LastEntryBytes(CoordinatorDocument coordinator)
    {
        try
        {
            return coordinator.Database.Storage.Journal.Read(coordinator.StorageRange.Last).Length;
        }
        catch (SqlSyncException)
        {
            return 0;
        }
    }

    private static long DirectoryBytes(string root, string sub)
    {
        string path = Path.Combine(root, sub);
        return Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
    }

    private static void Receive(CoordinatorDocument coordinator, TimelineId timeline, ref ulong next, params byte[][] records)
    {
        var entries = records.Select(r => (ReadOnlyMemory<byte>)TimelineEntry.Encode(1_700_000_000_000, r)).ToArray();
        coordinator.ReceiveTimeline(timeline, new JournalPartial(LsnRange.Inclusive(new Lsn(next), new Lsn(next + (ulong)entries.Length - 1)), entries));
        next += (ulong)entries.Length;
    }

    private static byte[] Record(uint tag, long id = 0)
    {
        var writer = new MutationWriter();
        writer.WriteTag(tag);
        if (tag == UpdateTag)
        {
            writer.WriteInt64(id);
        }

        return writer.WrittenSpan.ToArray();
    }

    private sealed class Reducer : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            switch (reader.ReadTag())
            {
                case CreateTag:
                    // About 1 MiB: 1,000 rows of 1,000 bytes.
                    context.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad BLOB NOT NULL)");
                    context.Execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO t SELECT x, 0, randomblob(1000) FROM c");
                    break;
                case UpdateTag:
                    context.Execute("UPDATE t SET n = n + 1 WHERE id = ?1", reader.ReadInt64());
                    break;
            }
        }
    }

    private sealed class Provider(CoordinatorDocument document) : ICoordinatorProvider
    {
        public CoordinatorDocument GetDocument(string documentId) => document;

        public void OnTimelineReceived(string documentId) => document.StepAll();
    }
}
