using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>Over a real WebSocket: a client behind a compaction joins from the checkpoint, and a cut download resumes.</summary>
public sealed class CheckpointJoinTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ADownloadCutInTheMiddleOfTheCheckpointResumesWhereItStoppedAndConverges()
    {
        await using TestServer server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.StorageRetention = TimeSpan.Zero;
            options.CheckpointMinJournalBytes = long.MaxValue; // only when the test asks
            options.Replication = new ReplicationOptions { MaxEntryBytesPerMessage = 64 * 1024 };
        });

        using (LocalDocument writer = Client("writer"))
        {
            writer.CreateSchema();
            var random = new Random(14);
            for (int i = 0; i < 100; i++)
            {
                byte[] payload = new byte[8 * 1024];
                random.NextBytes(payload); // incompressible: the checkpoint is about 1 MiB on the wire
                writer.Store("blob" + i, payload);
            }

            await using SqlSyncClient sync = Connect(server.SyncUri, writer);
            CoordinatorDocument coordinator = server.Document("counters");
            await ConvergedAsync(writer, coordinator, "writer");
            await coordinator.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            coordinator.CompactNow();
            Assert.True(coordinator.StorageRange.First.Value > 0, $"not compacted: {coordinator.StorageRange}");
            writer.Add("after the checkpoint", 5); // a tail the late client gets as entries
            await ConvergedAsync(writer, coordinator, "writer");
        }

        CoordinatorDocument document = server.Document("counters");
        await using var proxy = new TcpProxy(server.SyncUri);
        using LocalDocument late = Client("late");
        var progress = new List<CheckpointDownloadProgress>();
        late.CheckpointDownloadProgress += (_, p) => { lock (progress) progress.Add(p); };
        proxy.CutAfter(TcpProxy.Direction.ServerToClient, 400 * 1024); // in the middle of the checkpoint
        await using SqlSyncClient lateSync = Connect(proxy.Uri, late);
        await ConvergedAsync(late, document, "late");

        Assert.Equal(1, proxy.Cuts);
        Assert.True(proxy.Connections >= 2);
        Assert.Equal(document.StorageChecksum, late.StorageChecksum);
        Assert.Equal(5L, Value(late, "after the checkpoint"));
        Assert.Equal(100L, late.QueryScalar<long>("SELECT count(*) FROM blobs"));
        CheckpointDownloadProgress[] seen;
        lock (progress) seen = progress.ToArray();
        long total = seen[^1].TotalBytes;
        Assert.True(seen[^1].IsComplete);

        // Resumed, not restarted: the offer on the second link found bytes already held, and the server sent the
        // checkpoint about once (a slice in flight at the cut may come twice).
        Assert.Equal(0, seen[0].BytesReceived); // the first offer
        Assert.All(seen.Skip(1), p => Assert.True(p.BytesReceived > 0, "the download started over"));
        Assert.True(proxy.BytesServerToClient < total + 3 * 64 * 1024 + 64 * 1024,
            $"{proxy.BytesServerToClient} bytes from the server for a checkpoint of {total}");
    }
}
