using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>Links that break mid-session (a server restart, connections cut mid-frame) resume with nothing lost or doubled.</summary>
public sealed class ResumeTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Integration")]
    public async Task ServerRestartedMidSessionFromItsFilesAndClientsResumeWithNothingLostOrDoubled()
    {
        var random = new Random(4242);
        using var a = Client("a");
        using var b = Client("b");
        a.CreateSchema();
        b.CreateSchema();
        long expectedShared = 0, expectedA = 0, expectedB = 0;
        void EditBoth(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                long da = random.Next(1, 100), db = random.Next(1, 100);
                a.Add("shared", da);
                a.Add("a", 1);
                b.Add("shared", db);
                b.Add("b", 1);
                expectedShared += da + db;
                expectedA++;
                expectedB++;
            }
        }

        TestServer server = await TestServer.StartAsync(ServerDirectory);
        int port = server.Port;
        SqlSyncClient syncA = Connect(server.SyncUri, a);
        SqlSyncClient syncB = Connect(server.SyncUri, b);
        try
        {
            EditBoth(40);
            await Eventually.TrueAsync(() => syncA.IsUploaded(a) && syncB.IsUploaded(b), "both clients uploaded before the restart");
            EditBoth(20); // some of these are in flight when the server stops

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            await server.DisposeAsync();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"a graceful stop with clients connected took {stopwatch.Elapsed} (it must not wait out the host's shutdown timeout)");
            await Eventually.TrueAsync(() => syncA.Status == SyncConnectionStatus.Disconnected || syncA.Status == SyncConnectionStatus.Connecting,
                "a noticed the server is gone");
            EditBoth(30); // the outage: both keep editing offline
            int connectionsA = syncA.ConnectionCount, connectionsB = syncB.ConnectionCount;

            server = await TestServer.StartAsync(ServerDirectory, port: port);
            Assert.Equal(port, server.Port);
            EditBoth(30);
            await Eventually.TrueAsync(() => syncA.ConnectionCount > connectionsA && syncB.ConnectionCount > connectionsB, "both clients reconnected by themselves");
            EditBoth(20);

            CoordinatorDocument coordinator = server.Document("counters");
            await ConvergedAsync(a, coordinator, "a");
            await ConvergedAsync(b, coordinator, "b");

            Assert.Equal(expectedShared, Value(coordinator, "shared"));
            Assert.Equal(expectedA, Value(coordinator, "a"));
            Assert.Equal(expectedB, Value(coordinator, "b"));
            foreach (LocalDocument replica in new[] { a, b })
            {
                Assert.Equal(expectedShared, Value(replica, "shared"));
                Assert.Equal(expectedA, Value(replica, "a"));
                Assert.Equal(expectedB, Value(replica, "b"));
                Assert.Equal(coordinator.StorageChecksum, replica.StorageChecksum);
            }

            // Every mutation was applied exactly once: the schema (LSN 0), then two per round on each client.
            IReadOnlyDictionary<SqlSync.Mutations.TimelineId, SqlSync.Journals.Lsn> applied = coordinator.GetAppliedLsns();
            Assert.Equal((ulong)(2 * expectedA), applied[a.TimelineId].Value);
            Assert.Equal((ulong)(2 * expectedB), applied[b.TimelineId].Value);
            Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        }
        finally
        {
            await syncA.DisposeAsync();
            await syncB.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task ConnectionCutInTheMiddleOfATimelineUploadResumes()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        await using var proxy = new TcpProxy(server.SyncUri);
        using var a = Client("a");
        a.CreateSchema();
        var random = new Random(7);
        const int pads = 24;
        for (int i = 0; i < pads; i++)
        {
            byte[] payload = new byte[100 * 1024];
            random.NextBytes(payload);
            a.Pad($"pad-{i}", payload);
            a.Add("sum", i);
        }

        // About one 100 KB entry per frame: the upload needs ~24 frames; the link is cut after ~700 KB of them.
        var replication = new ReplicationOptions { MaxEntryBytesPerMessage = 120 * 1024 };
        proxy.CutAfter(TcpProxy.Direction.ClientToServer, 700 * 1024, holdAfterCut: true);
        await using SqlSyncClient sync = Connect(proxy.Uri, a, replication: replication);
        await Eventually.TrueAsync(() => proxy.Cuts == 1, "the upload was cut");
        CoordinatorDocument coordinator = server.Document("counters");
        await Eventually.TrueAsync(() => coordinator.GetTimelineRange(a.TimelineId).Next.Value >= 2, "the frames before the cut arrived");
        Assert.True(coordinator.GetTimelineRange(a.TimelineId).Next < a.TimelineRange.Next, "the cut left the upload unfinished");
        Assert.False(sync.IsUploaded(a));
        proxy.Release();

        await ConvergedAsync(a, coordinator, "a");
        Assert.True(sync.ConnectionCount >= 2, "the client reconnected");
        Assert.True(proxy.BytesClientToServer > 24L * 100 * 1024, "the whole timeline went through the proxy");
        Assert.Equal((long)(pads * (pads - 1) / 2), Value(coordinator, "sum"));
        Assert.Equal(100L * 1024, Value(coordinator, "pad-0"));
        Assert.Equal(100L * 1024, Value(coordinator, $"pad-{pads - 1}"));
        Assert.Equal((long)pads + 1, (long)coordinator.Query("SELECT count(*) FROM counters")[0][0]!);
        Assert.Equal((ulong)(2 * pads), coordinator.GetAppliedLsns()[a.TimelineId].Value);
        Assert.Equal(coordinator.StorageChecksum, a.StorageChecksum);
        Assert.Equal((long)(pads * (pads - 1) / 2), Value(a, "sum"));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task ConnectionCutInTheMiddleOfAStorageDownloadResumes()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.Replication = new ReplicationOptions { MaxEntryBytesPerMessage = 128 * 1024 };
            options.StepBatchSize = 1; // one storage entry per mutation: many entries to download
        });
        using var writer = Client("writer");
        writer.CreateSchema();
        var random = new Random(11);
        const int blobs = 40;
        for (int i = 0; i < blobs; i++)
        {
            byte[] payload = new byte[100 * 1024];
            random.NextBytes(payload);
            writer.Store($"blob-{i}", payload);
            writer.Add("sum", 1);
        }

        CoordinatorDocument coordinator = server.Document("counters");
        await using (SqlSyncClient writerSync = Connect(server.SyncUri, writer))
        {
            await ConvergedAsync(writer, coordinator, "the writer");
        }

        // A new replica behind the proxy downloads ~4 MB of pages in ~128 KB frames; the link is cut after 1.5 MB.
        await using var proxy = new TcpProxy(server.SyncUri);
        using var reader = Client("reader");
        proxy.CutAfter(TcpProxy.Direction.ServerToClient, 1536 * 1024, holdAfterCut: true);
        await using SqlSyncClient readerSync = Connect(proxy.Uri, reader);
        await Eventually.TrueAsync(() => proxy.Cuts == 1, "the download was cut");
        await Eventually.TrueAsync(() => reader.StorageRange.Next.Value >= 2, "the frames before the cut arrived");
        Assert.True(reader.StorageRange.Next < coordinator.StorageRange.Next, "the cut left the download unfinished");
        proxy.Release();

        await ConvergedAsync(reader, coordinator, "the reader");
        Assert.True(readerSync.ConnectionCount >= 2, "the reader reconnected");
        Assert.Equal(coordinator.StorageChecksum, reader.StorageChecksum);
        Assert.Equal(writer.StorageChecksum, reader.StorageChecksum);
        Assert.Equal((long)blobs, Value(reader, "sum"));
        Assert.Equal((long)blobs, reader.QueryScalar<long>("SELECT count(*) FROM blobs"));
        Assert.Equal(writer.QueryScalar<long>("SELECT sum(length(payload)) FROM blobs"), reader.QueryScalar<long>("SELECT sum(length(payload)) FROM blobs"));
        Assert.Equal(writer.QueryScalar<string>("SELECT hex(payload) FROM blobs WHERE name = 'blob-17'"),
            reader.QueryScalar<string>("SELECT hex(payload) FROM blobs WHERE name = 'blob-17'"));
    }
}
