using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Storage.Azure;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Servers whose journals are blobs (decision 0037), with real WebSocket clients: one replaced mid-session by another on
/// an empty disk, and two serving one document at once (the loser of each collision is fenced, closes and reloads).
/// </summary>
[Trait("Category", "ObjectStorage")]
public sealed class ObjectStorageServerTests(AzuriteFixture azurite) : ServerTestBase, IClassFixture<AzuriteFixture>
{
    private Task<TestServer> StartOnEmptyDisk(string container, string disk, int port = 0, Action<SqlSyncServerOptions>? configure = null) =>
        TestServer.StartAsync(Path.Combine(Root, disk), options =>
        {
            options.UseAzureBlobJournals(azurite.ConnectionString, container);
            configure?.Invoke(options);
        }, port);

    /// <summary>Two clients' edits (each on its own counter and on a shared one), and what they add up to.</summary>
    private sealed class Edits : IDisposable
    {
        private readonly LocalDocument a, b;
        private readonly Random _random;

        public Edits(LocalDocument a, LocalDocument b, int seed)
        {
            this.a = a;
            this.b = b;
            _random = new Random(seed);
            a.CreateSchema();
            b.CreateSchema();
        }

        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }

        public long Shared { get; private set; }

        public long A { get; private set; }

        public long B { get; private set; }

        public void Both(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                long da = _random.Next(1, 100), db = _random.Next(1, 100);
                a.Add("shared", da);
                a.Add("a", 1);
                b.Add("shared", db);
                b.Add("b", 1);
                Shared += da + db;
                A++;
                B++;
            }
        }

        /// <summary>Every mutation applied exactly once, and every replica holding the coordinator's bytes.</summary>
        public void AssertExactlyOnce(CoordinatorDocument coordinator)
        {
            Assert.Equal(Shared, Value(coordinator, "shared"));
            Assert.Equal(A, Value(coordinator, "a"));
            Assert.Equal(B, Value(coordinator, "b"));
            IReadOnlyDictionary<SqlSync.Mutations.TimelineId, Lsn> applied = coordinator.GetAppliedLsns();
            Assert.Equal((ulong)(2 * A), applied[a.TimelineId].Value); // the schema (LSN 0), then two per round
            Assert.Equal((ulong)(2 * B), applied[b.TimelineId].Value);
            foreach (LocalDocument replica in new[] { a, b })
            {
                Assert.Equal(Shared, Value(replica, "shared"));
                Assert.Equal(coordinator.StorageChecksum, replica.StorageChecksum);
            }
        }
    }

    [Fact]
    public async Task A_server_replaced_mid_session_by_one_on_an_empty_disk_loses_nothing_and_doubles_nothing()
    {
        string container = azurite.NewContainer().Name;
        LocalDocument a = Client("a"), b = Client("b");
        using var edits = new Edits(a, b, seed: 18);

        TestServer server = await StartOnEmptyDisk(container, "server-a");
        int port = server.Port;
        SqlSyncClient syncA = Connect(server.SyncUri, a);
        SqlSyncClient syncB = Connect(server.SyncUri, b);
        try
        {
            edits.Both(30);
            await Eventually.TrueAsync(() => syncA.IsUploaded(a) && syncB.IsUploaded(b), "both clients uploaded before the stop");
            edits.Both(15); // some in flight when the server stops
            await server.DisposeAsync();
            edits.Both(20); // offline
            int connectionsA = syncA.ConnectionCount, connectionsB = syncB.ConnectionCount;

            // Another process on an empty disk: everything it serves comes from the container.
            Assert.False(Directory.Exists(Path.Combine(Root, "server-b")));
            server = await StartOnEmptyDisk(container, "server-b", port);
            edits.Both(15);
            await Eventually.TrueAsync(() => syncA.ConnectionCount > connectionsA && syncB.ConnectionCount > connectionsB, "both clients reconnected by themselves");
            CoordinatorDocument coordinator = server.Document("counters");
            await ConvergedAsync(a, coordinator, "a");
            await ConvergedAsync(b, coordinator, "b");
            edits.AssertExactlyOnce(coordinator);

            // It compacts through the store, and a new client joins from the checkpoint there.
            await coordinator.CheckpointAsync();
            coordinator.CompactNow();
            Assert.True(coordinator.StorageRange.First.Value > 0, $"compacted: {coordinator.StorageRange}");
            using var c = Client("c");
            await using (SqlSyncClient syncC = Connect(server.SyncUri, c))
            {
                await ConvergedAsync(c, coordinator, "c");
            }

            Assert.Equal(edits.Shared, Value(c, "shared"));
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
    public async Task Two_servers_on_one_container_keep_one_history_the_loser_closes_and_reloaded_converges()
    {
        string container = azurite.NewContainer().Name;
        LocalDocument a = Client("a"), b = Client("b");
        using var edits = new Edits(a, b, seed: 37);

        TestServer serverA = await StartOnEmptyDisk(container, "server-a");
        TestServer serverB = await StartOnEmptyDisk(container, "server-b");
        int portA = serverA.Port, portB = serverB.Port;
        SqlSyncClient syncA = Connect(serverA.SyncUri, a);
        SqlSyncClient syncB = Connect(serverB.SyncUri, b);
        try
        {
            for (int burst = 0; burst < 6; burst++)
            {
                edits.Both(5); // both servers take uploads and step them, into one document's journals
                await Task.Yield();
            }

            await Eventually.TrueAsync(() => syncA.IsUploaded(a) && syncB.IsUploaded(b), "both clients uploaded", TimeSpan.FromSeconds(120));
            string[] fenced = serverA.Logs.Lines.Concat(serverB.Logs.Lines).Select(l => l.Message).Where(m => m.Contains("took it over", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(fenced); // the second to extend the history lost, closed the document and opened it again

            // Each server's open copy may be behind the other's last step until it writes: new servers on empty disks
            // read the one history and every client converges on it.
            await serverA.DisposeAsync();
            await serverB.DisposeAsync();
            serverA = await StartOnEmptyDisk(container, "server-a2", portA);
            serverB = await StartOnEmptyDisk(container, "server-b2", portB);
            CoordinatorDocument onA = serverA.Document("counters");
            CoordinatorDocument onB = serverB.Document("counters");
            await ConvergedAsync(a, onA, "a", TimeSpan.FromSeconds(120));
            await ConvergedAsync(b, onB, "b", TimeSpan.FromSeconds(120));
            Assert.Equal(onA.StorageChecksum, onB.StorageChecksum);
            edits.AssertExactlyOnce(onA);
        }
        finally
        {
            await syncA.DisposeAsync();
            await syncB.DisposeAsync();
            await serverA.DisposeAsync();
            await serverB.DisposeAsync();
        }
    }
}
