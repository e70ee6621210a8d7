using Microsoft.Extensions.Logging;
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
    private Task<TestServer> StartOnEmptyDisk(string container, string disk, int port = 0, LogLevel logLevel = LogLevel.Warning) =>
        TestServer.StartAsync(Path.Combine(Root, disk), options => options.UseAzureBlobJournals(azurite.ConnectionString, container), port, logLevel: logLevel);

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
    private static async Task CaughtUpAsync(TestServer server, LocalDocument client, string who)
    {
        string seen = "nothing yet";
        try
        {
            await Eventually.TrueAsync(() =>
            {
                try
                {
                    CoordinatorDocument coordinator = server.Document("counters");
                    seen = $"client: {client.PendingMutationCount} pending, storage {client.StorageRange}; server: storage {coordinator.StorageRange}, {coordinator.QueuedMutationCount} queued";
                    return client.PendingMutationCount == 0 && coordinator.QueuedMutationCount == 0 && client.StorageChecksum == coordinator.StorageChecksum;
                }
                catch (SqlSyncException ex)
                {
                    seen = ex.Message;
                    return false; // closed under us: fenced, reopened at the next look
                }
            }, $"{who} caught up with its server", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {seen}.", ex);
        }
    }

    /// <summary>The fences <paramref name="server"/> told: one warning each, by its host.</summary>
    private static int Fences(TestServer server) =>
        server.Logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("another coordinator took it over", StringComparison.Ordinal));

    /// <summary>
    /// A fence is told once, by the host: not as an error, not once per link or retry; and the fenced copies are closed,
    /// not kept (at most the current copy is open).
    /// </summary>
    private static void AssertFencesToldOnceAndClosed(params TestServer[] servers)
    {
        foreach (TestServer server in servers)
        {
            Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);
            Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Warning && l.Message.Contains("refused on its own", StringComparison.Ordinal));
            Assert.True(server.Host.OpenDocumentCount <= 1, $"open documents: {server.Host.OpenDocumentCount}");
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
            Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);
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

            Assert.True(Fences(serverA) >= 1 && Fences(serverB) >= 1, $"each server lost a collision: {Fences(serverA)} and {Fences(serverB)} fence(s)");
            AssertFencesToldOnceAndClosed(serverA, serverB);

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

    /// <summary>
    /// Two live servers whose clients edit at once: each copy keeps losing collisions to the other (ping-pong). A fenced copy
    /// is closed and opened again only when used (its client's reopen), never per retry or poll; one history is kept.
    /// </summary>
    [Fact]
    public async Task Two_servers_taking_edits_at_once_reopen_once_per_fence_and_keep_one_history()
    {
        string container = azurite.NewContainer().Name;
        LocalDocument a = Client("a"), b = Client("b");
        using var edits = new Edits(a, b, seed: 38);

        TestServer serverA = await StartOnEmptyDisk(container, "server-a", logLevel: LogLevel.Debug);
        TestServer serverB = await StartOnEmptyDisk(container, "server-b", logLevel: LogLevel.Debug);
        int portA = serverA.Port, portB = serverB.Port;
        SqlSyncClient syncA = Connect(serverA.SyncUri, a);
        SqlSyncClient syncB = Connect(serverB.SyncUri, b);
        try
        {
            for (int round = 0; round < 8; round++)
            {
                edits.Both(3); // both copies step at once: one of them loses the collision, or both catch up in turn
                await Eventually.TrueAsync(() => syncA.IsUploaded(a) && syncB.IsUploaded(b), $"both clients' round {round} acknowledged", TimeSpan.FromSeconds(120));
            }

            Assert.True(Fences(serverA) + Fences(serverB) >= 1, "the copies collided at least once");
            AssertFencesToldOnceAndClosed(serverA, serverB);
            foreach (TestServer server in new[] { serverA, serverB })
            {
                // Every open after the first follows a fence (no reopen loop), and every fenced copy was closed.
                int opens = server.Logs.Lines.Count(l => l.Message.StartsWith("Document counters opened", StringComparison.Ordinal));
                Assert.True(opens <= Fences(server) + 1, $"{opens} opens for {Fences(server)} fences");
                int evicted = server.Logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("it is closed here", StringComparison.Ordinal));
                await Eventually.TrueAsync(() => server.Logs.Lines.Count(l => l.Message.StartsWith("Document counters closed (another coordinator took it over)", StringComparison.Ordinal)) == evicted,
                    $"each of the {evicted} fenced open copies closed");
            }

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
