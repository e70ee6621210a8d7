using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>Presence over real Kestrel and WebSockets (issue 17): join, update, leave, timeout, denied, size limit, reconnect.</summary>
public sealed class PresenceTests : ServerTestBase
{
    private static SqlSyncClient ConnectWith(Uri uri, LocalDocument document, string? token = null, TimeSpan? refresh = null)
    {
        var client = new SqlSyncClient(new SqlSyncClientOptions
        {
            ServerUri = uri,
            ClientName = "presence-test",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            PresenceRefreshInterval = refresh ?? TimeSpan.FromSeconds(10),
            ConfigureWebSocket = token is null ? null : o => o.SetRequestHeader("Authorization", "Bearer " + token),
        });
        client.Add(document);
        client.Start();
        return client;
    }

    private static bool Sees(DocumentPresence presence, string state) => presence.Peers.Any(p => p.StateText == state);

    [Fact]
    [Trait("Category", "Live")]
    public async Task PeersSeeJoinUpdateAndLeaveAndNothingIsJournaled()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using var a = Client("a");
        using var b = Client("b");
        using var c = Client("c");
        a.CreateSchema();
        SqlSyncClient syncA = ConnectWith(server.SyncUri, a);
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b);
        await using SqlSyncClient syncC = ConnectWith(server.SyncUri, c);
        CoordinatorDocument coordinator = server.Document("counters");
        await ConvergedAsync(a, coordinator, "a");
        LsnRange storageBefore = coordinator.StorageRange;

        var seenByB = new List<int>();
        DocumentPresence presenceB = syncB.Presence(b);
        presenceB.PeersChanged += (_, peers) => { lock (seenByB) seenByB.Add(peers.Count); };
        syncA.Presence(a).Publish("""{"name":"ann","editing":1}""");
        await Eventually.TrueAsync(() => Sees(presenceB, """{"name":"ann","editing":1}""") && Sees(syncC.Presence(c), """{"name":"ann","editing":1}"""), "b and c see a join");
        syncA.Presence(a).Publish("""{"name":"ann","editing":2}""");
        await Eventually.TrueAsync(() => Sees(presenceB, """{"name":"ann","editing":2}"""), "b sees a's update");
        Assert.Single(presenceB.Peers);
        syncB.Presence(b).Publish("bob");
        await Eventually.TrueAsync(() => Sees(syncA.Presence(a), "bob") && Sees(syncC.Presence(c), "bob"), "a and c see b");
        Assert.DoesNotContain(syncB.Presence(b).Peers, p => p.StateText == "bob"); // not itself

        await syncA.DisposeAsync();
        await Eventually.TrueAsync(() => !Sees(presenceB, """{"name":"ann","editing":2}""") && !Sees(syncC.Presence(c), """{"name":"ann","editing":2}"""), "a's leave reaches b and c");
        Assert.Equal(storageBefore, coordinator.StorageRange); // presence never becomes a storage entry
        Assert.Empty(Directory.EnumerateFiles(ServerDirectory, "*presence*", SearchOption.AllDirectories));
        lock (seenByB)
        {
            Assert.Equal(0, seenByB[^1]);
        }

        syncB.Presence(b).Clear();
        await Eventually.TrueAsync(() => syncC.Presence(c).Peers.Count == 0, "a cleared state is a leave");
        await Eventually.TrueAsync(() => server.Services.GetRequiredService<PresenceHub>().StateCount == 0, "the server holds no state");
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task PresenceArrivesWhileTheClientsHandlingOfStorageIsHeld()
    {
        // The reading task applies presence itself (decision 0040): a rebase whose Changed handler blocks holds
        // storage messages, not peers' states. Before, presence waited in the inbox behind the held storage.
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using var a = Client("a");
        using var b = Client("b");
        a.CreateSchema();
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a);
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b);
        await ConvergedAsync(b, server.Document("counters"), "b");
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        b.Changed += (_, _) =>
        {
            if (Value(b, "late") > 0 && !release.IsSet)
            {
                held.Set();
                release.Wait(TimeSpan.FromSeconds(60));
            }
        };
        try
        {
            a.Add("late", 1);
            Assert.True(held.Wait(TimeSpan.FromSeconds(30)), "b's rebase raised Changed and is held");
            syncA.Presence(a).Publish("while held");
            await Eventually.TrueAsync(() => Sees(syncB.Presence(b), "while held"), "b sees a's state while its storage handling is held");
        }
        finally
        {
            release.Set();
        }

        await ConvergedAsync(b, server.Document("counters"), "b");
        Assert.Equal(1, Value(b, "late"));
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task AFloodOfUpdatesFromOneClientIsCoalescedStaysBoundedAndDoesNotDelayOthers()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, o => o.Presence.MaxQueuedBytesPerConnection = 16 * 1024);
        using var a = Client("a");
        using var b = Client("b");
        using var c = Client("c");
        a.CreateSchema();
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a);
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b);
        await using SqlSyncClient syncC = ConnectWith(server.SyncUri, c);
        await ConvergedAsync(a, server.Document("counters"), "a");
        PresenceHub hub = server.Services.GetRequiredService<PresenceHub>();
        DocumentPresence presenceB = syncB.Presence(b);
        syncA.Presence(a).Publish("start");
        await Eventually.TrueAsync(() => Sees(presenceB, "start"), "b sees a");
        int changesSeenByB = 0;
        presenceB.PeersChanged += (_, _) => Interlocked.Increment(ref changesSeenByB);

        const int Flood = 3000;
        string padding = new('x', 1000);
        long mostQueued = 0;
        for (int i = 0; i < Flood; i++)
        {
            syncA.Presence(a).Publish($"flood {i} {padding}");
            if (i % 50 == 0)
            {
                mostQueued = Math.Max(mostQueued, hub.MaxQueuedBytes);
            }
        }

        syncC.Presence(c).Publish("carol");
        await Eventually.TrueAsync(() => Sees(presenceB, "carol"), "another client's state gets through the flood");
        await Eventually.TrueAsync(() => Sees(presenceB, $"flood {Flood - 1} {padding}"), "b ends with a's newest state");
        Assert.True(mostQueued <= 16 * 1024, $"an outbox held {mostQueued} bytes");
        // 20 fan-outs a second (the default) instead of one per publish.
        Assert.True(Volatile.Read(ref changesSeenByB) < Flood / 4, $"b saw {changesSeenByB} changes for {Flood} publishes");
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task AWatcherThatNeverReadsDoesNotHoldTheOthers()
    {
        // The rate limit off and a long send timeout: the stalled link stays, its socket full, while every update is fanned out.
        await using var server = await TestServer.StartAsync(ServerDirectory, o =>
        {
            o.Presence.MaxPublishesPerSecond = 0;
            o.SendTimeout = TimeSpan.FromMinutes(5);
        });
        using var a = Client("a");
        using var b = Client("b");
        a.CreateSchema();
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a);
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b);
        await ConvergedAsync(a, server.Document("counters"), "a");
        await using RawSyncSocket stalled = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "stalled");
        await stalled.SendAsync(TimelineSecrets.Open("counters", TimelineId.New(), LsnRange.Empty));
        await stalled.ExpectAsync<DocumentOpenedMessage>(); // from here on it never reads
        PresenceHub hub = server.Services.GetRequiredService<PresenceHub>();
        DocumentPresence presenceB = syncB.Presence(b);

        // ~10 MB of 4 KB states, each seen by b before the next: more than loopback's socket buffers hold for the stalled link.
        string padding = new('x', 4000);
        for (int i = 0; i < 2500; i++)
        {
            string state = $"{i} {padding}";
            syncA.Presence(a).Publish(state);
            await Eventually.TrueAsync(() => Sees(presenceB, state), $"b sees update {i} while a link that never reads is fanned out to");
        }

        // b's outbox is empty once it saw the last update, so bytes that stay queued are the stalled link's: its send is blocked.
        await Eventually.TrueAsync(() => hub.MaxQueuedBytes > 0, "the stalled link's sender is blocked on its full socket");
        Assert.Equal(WebSocketState.Open, stalled.State);
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task AStateNotRefreshedExpiresWhileARefreshedOneStays()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, o => o.Presence.Timeout = TimeSpan.FromMilliseconds(600));
        using var a = Client("a");
        using var b = Client("b");
        using var watcher = Client("w");
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a, refresh: TimeSpan.FromHours(1));
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b, refresh: TimeSpan.FromMilliseconds(100));
        await using SqlSyncClient syncW = ConnectWith(server.SyncUri, watcher);
        DocumentPresence seen = syncW.Presence(watcher);
        syncA.Presence(a).Publish("silent");
        syncB.Presence(b).Publish("chatty");
        await Eventually.TrueAsync(() => Sees(seen, "silent") && Sees(seen, "chatty"), "both join");
        await Eventually.TrueAsync(() => !Sees(seen, "silent"), "the unrefreshed state expires");
        DateTime until = DateTime.UtcNow + TimeSpan.FromMilliseconds(1500);
        while (DateTime.UtcNow < until)
        {
            Assert.True(Sees(seen, "chatty"), "a refreshed state stays");
            await Task.Delay(50);
        }

        Assert.Equal(1, syncA.ConnectionCount); // it expired while its connection lived
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task ADeniedClientNeitherSeesNorPublishes()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        using var a = Client("a");
        using var b = Client("b");
        using var denied = Client("d");
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a, token: "writer-a");
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b, token: "writer-b");
        await using SqlSyncClient syncD = ConnectWith(server.SyncUri, denied, token: "stranger");
        syncD.Presence(denied).Publish("intruder");
        syncA.Presence(a).Publish("ann");
        syncB.Presence(b).Publish("bob");
        await Eventually.TrueAsync(() => Sees(syncA.Presence(a), "bob") && Sees(syncB.Presence(b), "ann"), "the allowed clients see each other");
        await Eventually.TrueAsync(() => syncD.LastError is SqlSyncException { Message: var m } && m.Contains(nameof(ProtocolErrorCode.AccessDenied), StringComparison.Ordinal), "the stranger was refused");
        Assert.Empty(syncD.Presence(denied).Peers);
        Assert.Single(syncA.Presence(a).Peers);

        // Frame level: presence for a document the link has not opened closes the link.
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "writer-raw");
        await raw.SendAsync(new PresenceUpdateMessage("counters", Encoding.UTF8.GetBytes("sneaky")));
        ErrorMessage error = await raw.ExpectErrorAsync();
        Assert.Equal(ProtocolErrorCode.PresenceNotOpen, error.Code);
        Assert.Single(syncA.Presence(a).Peers);
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task AStateOverTheLimitIsRefusedAndTheLinkStays()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, o => o.Presence.MaxStateBytes = 1000);
        using var a = Client("a");
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a);
        var tooLarge = Assert.Throws<SqlSyncException>(() => syncA.Presence(a).Publish(new byte[4097]));
        Assert.Equal(SqlSyncErrorCode.PresenceTooLarge, tooLarge.Code);

        // A client whose limit is larger than the server's (or a raw one): the server drops it, says why, keeps the link.
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        var timeline = TimelineId.New();
        await raw.SendAsync(TimelineSecrets.Open("counters", timeline, LsnRange.Empty));
        await raw.ExpectAsync<DocumentOpenedMessage>();
        await raw.SendAsync(new PresenceUpdateMessage("counters", new byte[1001]));
        ErrorMessage error = await raw.ExpectAsync<ErrorMessage>(); // not followed by a close
        Assert.Equal(ProtocolErrorCode.PresenceTooLarge, error.Code);
        await raw.SendAsync(new PresenceUpdateMessage("counters", Encoding.UTF8.GetBytes("small")));
        await Eventually.TrueAsync(() => Sees(syncA.Presence(a), "small"), "a smaller state from the same link goes through");
        Assert.Equal(1, syncA.ConnectionCount);
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task AfterAServerRestartPeersAreForgottenThenSeenAgain()
    {
        var server = await TestServer.StartAsync(ServerDirectory);
        int port = server.Port;
        using var a = Client("a");
        using var b = Client("b");
        await using SqlSyncClient syncA = ConnectWith(server.SyncUri, a);
        await using SqlSyncClient syncB = ConnectWith(server.SyncUri, b);
        syncA.Presence(a).Publish("ann");
        await Eventually.TrueAsync(() => Sees(syncB.Presence(b), "ann"), "b sees a");
        string firstPeer = syncB.Presence(b).Peers.Single().PeerId;
        await server.DisposeAsync();
        await Eventually.TrueAsync(() => syncB.Presence(b).Peers.Count == 0, "a lost connection forgets the peers");

        await using TestServer restarted = await TestServer.StartAsync(ServerDirectory, port: port);
        await Eventually.TrueAsync(() => Sees(syncB.Presence(b), "ann"), "after reconnecting, a publishes again and b sees it");
        Assert.NotEqual(firstPeer, syncB.Presence(b).Peers.Single().PeerId);
    }
}
