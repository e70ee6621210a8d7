using SqlSync.Documents;
using SqlSync.Transport;
using Xunit.Abstractions;

namespace SqlSync.Server.Tests;

/// <summary>
/// Page deltas over a real WebSocket (decision 0025): clients that keep up, a client that joins late from a checkpoint
/// and one offline across a compaction all end byte-identical with the coordinator, and a client that keeps up
/// receives far less than a page per single-row mutation.
/// </summary>
public sealed class PageDeltaNetworkTests(ITestOutputHelper output) : ServerTestBase
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ClientsConvergeByteIdenticalWithDeltasIncludingALateJoinerAndOneOfflineAcrossCompaction()
    {
        await using TestServer server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.StorageRetention = TimeSpan.Zero;
            options.CheckpointMinJournalBytes = long.MaxValue; // only when the test asks
        });

        ulong checksum;
        {
            using LocalDocument writer = Client("writer");
            using LocalDocument reader = Client("reader");
            using LocalDocument offline = Client("offline");
            writer.CreateSchema();
            await using SqlSyncClient writerSync = Connect(server.SyncUri, writer);
            CoordinatorDocument coordinator = server.Document("counters");
            await ConvergedAsync(writer, coordinator, "writer");

            await using var readerProxy = new TcpProxy(server.SyncUri);
            await using SqlSyncClient readerSync = Connect(readerProxy.Uri, reader);
            await ConvergedAsync(reader, coordinator, "reader");

            await using (SqlSyncClient offlineSync = Connect(server.SyncUri, offline))
            {
                await ConvergedAsync(offline, coordinator, "offline");
            }

            // Single-row mutations: each entry reaches the reader as a delta of a few dozen bytes.
            long bytesBefore = readerProxy.BytesServerToClient;
            ulong entriesBefore = coordinator.StorageRange.Next.Value;
            for (int i = 0; i < 200; i++)
            {
                writer.Add("row" + (i % 20), i);
                if (i % 10 == 9)
                {
                    // The writer's first: the reader equals a coordinator that has not stepped yet just as well.
                    await ConvergedAsync(writer, coordinator, "writer");
                    await ConvergedAsync(reader, coordinator, "reader");
                }
            }

            await ConvergedAsync(writer, coordinator, "writer");
            await ConvergedAsync(reader, coordinator, "reader");
            ulong entries = coordinator.StorageRange.Next.Value - entriesBefore;
            Assert.True(entries > 0, "the writer's mutations made storage entries");
            long perEntry = (readerProxy.BytesServerToClient - bytesBefore) / (long)entries;
            output.WriteLine($"{perEntry} bytes from the server per storage entry (single-row mutations, acknowledged in tens)");
            Assert.True(perEntry < 512, $"{perEntry} bytes per storage entry to a client that keeps up");
            Assert.True(coordinator.PageDeltas!.Count > 0);

            // A checkpoint and a compaction; the offline client made a change meanwhile, and more entries follow.
            offline.Add("made offline", 7);
            await coordinator.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            coordinator.CompactNow();
            Assert.True(coordinator.StorageRange.First.Value > entriesBefore, $"not compacted: {coordinator.StorageRange}");
            for (int i = 0; i < 30; i++)
            {
                writer.Add("after the checkpoint", 1);
            }

            using LocalDocument late = Client("late");
            await using SqlSyncClient lateSync = Connect(server.SyncUri, late);
            await using SqlSyncClient offlineAgain = Connect(server.SyncUri, offline);
            for (int i = 0; i < 30; i++)
            {
                writer.Add("after the join", 1); // entries the joiners apply as deltas on top of the checkpoint
            }

            foreach ((LocalDocument document, string who) in new[] { (writer, "writer"), (reader, "reader"), (late, "late"), (offline, "offline") })
            {
                await ConvergedAsync(document, coordinator, who);
            }

            foreach (LocalDocument document in new[] { writer, reader, late, offline })
            {
                Assert.Equal(coordinator.StorageChecksum, document.StorageChecksum);
                Assert.Equal(7L, Value(document, "made offline"));
                Assert.Equal(30L, Value(document, "after the join"));
                Assert.Equal(Value(coordinator, "row7"), Value(document, "row7"));
            }

            checksum = coordinator.StorageChecksum;
        }

        // Byte-identical: every client's pages, read back from its own files, hash to the coordinator's checksum.
        foreach (string who in new[] { "writer", "reader", "late", "offline" })
        {
            using DocumentInspector inspector = DocumentInspector.Open(Path.Combine(Root, "clients", who, "counters"));
            inspector.VerifyJournals();
            Assert.Equal(checksum, inspector.StorageChecksum);
        }
    }
}
