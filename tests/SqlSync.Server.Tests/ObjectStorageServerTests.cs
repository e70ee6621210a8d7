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
            OnA(rounds);
            OnB(rounds);
        }

        public void OnA(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                long delta = _random.Next(1, 100);
                a.Add("shared", delta);
                a.Add("a", 1);
                Shared += delta;
                A++;
            }
        }

        public void OnB(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                long delta = _random.Next(1, 100);
                b.Add("shared", delta);
                b.Add("b", 1);
                Shared += delta;
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

    /// <summary>Waits until <paramref name="client"/> has nothing pending and holds what its server's copy holds (reopened if fenced).</summary>
    private static Task CaughtUpAsync(TestServer server, LocalDocument client, string who) => Eventually.TrueAsync(() =>
    {
        try
        {
            CoordinatorDocument coordinator = server.Document("counters");
            return client.PendingMutationCount == 0 && coordinator.QueuedMutationCount == 0 && client.StorageChecksum == coordinator.StorageChecksum;
        }
        catch (SqlSyncException)
        {
            return false; // closed under us: fenced, reopened at the next look
        }
    }, $"{who} caught up with its server", TimeSpan.FromSeconds(120));

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

    // The turns force a collision each time. It was skipped as a known gap (decision 0037): a client whose link only
    // polled the fenced copy was answered nothing and never caught up. A link whose document was closed under it is now
    // refused (DocumentFailed) and its client reopens the document on the host's new copy (decision 0038, amended).
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
            edits.Both(2);
            await CaughtUpAsync(serverA, a, "a");
            await CaughtUpAsync(serverB, b, "b");
            for (int turn = 0; turn < 3; turn++)
            {
                // Each server's copy is behind the other's last steps: its next step collides and it is fenced, closes the
                // document, and the client's reopen loads the winner's history from the store.
                edits.OnA(5);
                await CaughtUpAsync(serverA, a, "a");
                edits.OnB(5);
                await CaughtUpAsync(serverB, b, "b");
            }

            string[] fenced = serverA.Logs.Lines.Concat(serverB.Logs.Lines).Select(l => l.Message).Where(m => m.Contains("took it over", StringComparison.Ordinal)).ToArray();
            Assert.True(fenced.Length >= 2, $"each server lost a collision at least once: {fenced.Length} fence(s)");

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
