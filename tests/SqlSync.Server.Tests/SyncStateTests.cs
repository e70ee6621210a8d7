using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Awaitable sync state and a clean client lifecycle (issue 15, points 3 and 5), over a real server:
/// <see cref="SqlSyncClient.WaitUntilSyncedAsync"/>, the per-document <see cref="DocumentSyncState"/>, the close handshake
/// on dispose, <see cref="SqlSyncClient.LastError"/> cleared by a session that syncs, and ordered status transitions.
/// </summary>
public sealed class SyncStateTests : ServerTestBase
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task AWaitMadeOfflineCompletesOnceTheServerIsUpAndTheDocumentRebased()
    {
        int port = FreePort();
        using LocalDocument document = Client("offline");
        document.CreateSchema();
        document.Add("hits", 5);
        await using SqlSyncClient sync = Connect(new Uri($"ws://127.0.0.1:{port}/sync"), document);
        Task<SyncResult> wait = sync.WaitUntilSyncedAsync(document);
        await Eventually.TrueAsync(() => sync.LastError is not null, "the client failed to connect");
        Assert.False(wait.IsCompleted);
        Assert.Equal(DocumentSyncStatus.Offline, sync.GetSyncState(document).Status);

        await using var server = await TestServer.StartAsync(ServerDirectory, port: port);
        SyncResult result = await wait.WaitAsync(Deadline);
        Assert.True(result.AllApplied);
        Assert.Equal(0, document.PendingMutationCount); // applied by the coordinator and rebased on
        Assert.Equal(5L, Value(server.Document("counters"), "hits"));
        Assert.Equal(DocumentSyncStatus.UpToDate, sync.GetSyncState(document).Status);
        await Eventually.TrueAsync(() => sync.LastError is null, "the session that synced cleared the connect failure");
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task AMutationRejectedBeforeTheWaitBeganIsInItsResult()
    {
        // The wait covers the mutations made since the previous one returned, not only those still pending at the call: a
        // fast server can confirm and reject them between Mutate and the wait (CI saw an empty result once).
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "counters",
            Reducer = CounterMutations.Reducer.Instance,
            Directory = Path.Combine(Root, "clients", "early", "counters"),
            FsyncOnAppend = false,
            KeepMutationsThatFailLocally = true,
        });
        document.CreateSchema();
        await using SqlSyncClient sync = Connect(server, document);
        await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);

        document.Add("hits", 1);
        document.Fail("rejected early");
        await Eventually.TrueAsync(() => document.PendingMutationCount == 0, "both confirmed before the wait");
        SyncResult result = await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);

        RejectedMutation rejection = Assert.Single(result.Rejections);
        Assert.Contains("rejected early", rejection.Error, StringComparison.Ordinal);

        // The next wait starts after it: a new round reports only its own.
        document.Add("hits", 1);
        Assert.True((await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline)).AllApplied);
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task ARejectedMutationCompletesTheWaitWithTheRejectionAndARejectedStatus()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "counters",
            Reducer = CounterMutations.Reducer.Instance,
            Directory = Path.Combine(Root, "clients", "rejected", "counters"),
            FsyncOnAppend = false,
            KeepMutationsThatFailLocally = true, // so the coordinator decides, and rejects it
        });
        document.CreateSchema();
        await using SqlSyncClient sync = Connect(server, document);
        var states = new List<DocumentSyncStatus>();
        sync.DocumentSyncStateChanged += (_, state) =>
        {
            lock (states)
            {
                states.Add(state.Status);
            }
        };
        await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);

        document.Add("hits", 1);
        document.Fail("no such item");
        SyncResult result = await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);

        RejectedMutation rejection = Assert.Single(result.Rejections);
        Assert.Contains("no such item", rejection.Error, StringComparison.Ordinal);
        DocumentSyncState state = sync.GetSyncState(document);
        Assert.Equal(DocumentSyncStatus.Rejected, state.Status);
        Assert.Contains("no such item", state.Reason, StringComparison.Ordinal);
        Assert.Equal(1L, Value(document, "hits"));
        await Eventually.TrueAsync(() => { lock (states) { return states.Contains(DocumentSyncStatus.Rejected); } }, "the Rejected state was raised");

        document.Add("hits", 1); // a new round: the rejection no longer describes the document
        Assert.True((await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline)).AllApplied);
        Assert.Equal(DocumentSyncStatus.UpToDate, sync.GetSyncState(document).Status);
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task AReadOnlyClientThatMutatesGetsAClearStatusAndTheWaitFails()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        _ = server.Document("counters"); // it exists: a reader does not create documents (decision 0016)
        using LocalDocument document = Client("reader");
        await using SqlSyncClient sync = Connect(server.SyncUri, document, token: "reader");
        Assert.True((await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline)).AllApplied); // nothing pending: open is enough
        Assert.Equal(DocumentSyncStatus.ReadOnly, sync.GetSyncState(document).Status);

        document.CreateSchema();
        var error = await Assert.ThrowsAsync<SqlSyncException>(() => sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline));
        Assert.Equal(SqlSyncErrorCode.DocumentReadOnly, error.Code);
        DocumentSyncState state = sync.GetSyncState(document);
        Assert.Equal(DocumentSyncStatus.ReadOnly, state.Status);
        Assert.Contains("1 local mutation(s) cannot upload", state.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task AWaitSpansAServerRestart()
    {
        var server = await TestServer.StartAsync(ServerDirectory);
        int port = server.Port;
        using LocalDocument document = Client("restart");
        document.CreateSchema();
        await using SqlSyncClient sync = Connect(server, document);
        await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);
        await server.DisposeAsync();
        await Eventually.TrueAsync(() => sync.GetSyncState(document).Status == DocumentSyncStatus.Offline, "the client saw the server go");

        document.Add("hits", 7);
        Task<SyncResult> wait = sync.WaitUntilSyncedAsync(document);
        Assert.False(wait.IsCompleted);
        await using var restarted = await TestServer.StartAsync(ServerDirectory, port: port);
        Assert.True((await wait.WaitAsync(Deadline)).AllApplied);
        Assert.Equal(7L, Value(restarted.Document("counters"), "hits"));
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task WatchSyncStateFollowsTheDocumentAndEndsWithTheClient()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using LocalDocument document = Client("watch");
        document.CreateSchema();
        SqlSyncClient sync = Connect(server, document);
        var seen = new List<DocumentSyncState>();
        Task watching = Task.Run(async () =>
        {
            await foreach (DocumentSyncState state in sync.WatchSyncStateAsync(document))
            {
                lock (seen)
                {
                    seen.Add(state);
                }
            }
        });
        await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);
        await Eventually.TrueAsync(() => { lock (seen) { return seen.Count > 0 && seen[^1].Status == DocumentSyncStatus.UpToDate; } }, "the watcher saw UpToDate");
        await sync.DisposeAsync();
        await watching.WaitAsync(Deadline); // the enumeration ends with the client
        lock (seen)
        {
            for (int i = 1; i < seen.Count; i++)
            {
                Assert.NotEqual(seen[i - 1], seen[i]); // one item per transition
            }
        }

        var stopped = await Assert.ThrowsAsync<SqlSyncException>(() => sync.WaitUntilSyncedAsync(document));
        Assert.Equal(SqlSyncErrorCode.ClientStopped, stopped.Code);
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task DisposeCompletesTheCloseHandshake()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, logLevel: LogLevel.Debug);
        for (int i = 0; i < 3; i++)
        {
            using LocalDocument document = Client($"close{i}");
            document.CreateSchema();
            SqlSyncClient sync = Connect(server, document);
            await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);
            await sync.DisposeAsync();
        }

        await Eventually.TrueAsync(() => server.Logs.Lines.Count(l => l.Message.Contains("closed by the client", StringComparison.Ordinal)) == 3,
            "the server saw three clients close");
        Assert.DoesNotContain(server.Logs.Lines, l => l.Message.Contains("close handshake", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Lines, l => l.Category.StartsWith("SqlSync", StringComparison.Ordinal) && l.Message.Contains(" lost", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task StatusTransitionsAreDeliveredOnceEachInOrderAcrossAServerRestart()
    {
        var server = await TestServer.StartAsync(ServerDirectory);
        int port = server.Port;
        using LocalDocument document = Client("transitions");
        document.CreateSchema();
        await using SqlSyncClient sync = Connect(server, document);
        var events = new List<SyncConnectionStatus>();
        var watched = new List<SyncConnectionStatus>();
        sync.StatusChanged += (_, status) =>
        {
            lock (events)
            {
                events.Add(status);
            }
        };
        using var stopWatching = new CancellationTokenSource();
        Task watching = Task.Run(async () =>
        {
            try
            {
                await foreach (SyncConnectionStatus status in sync.WatchStatusAsync(stopWatching.Token))
                {
                    lock (watched)
                    {
                        watched.Add(status);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);
        await server.DisposeAsync();
        await Eventually.TrueAsync(() => sync.LastError is not null, "the client lost the server");
        for (int i = 0; i < 20; i++)
        {
            document.Add("hits", 1);
        }

        await using var restarted = await TestServer.StartAsync(ServerDirectory, port: port);
        await sync.WaitUntilSyncedAsync(document).WaitAsync(Deadline);
        await Eventually.TrueAsync(() => sync.Status == SyncConnectionStatus.Connected && sync.LastError is null, "the new session synced and cleared LastError");
        await Eventually.TrueAsync(() => { lock (events) { return events.Count > 0 && events[^1] == SyncConnectionStatus.Connected; } }, "the last event is Connected");
        List<SyncConnectionStatus> delivered;
        lock (events)
        {
            delivered = events.ToList();
        }

        for (int i = 1; i < delivered.Count; i++)
        {
            Assert.NotEqual(delivered[i - 1], delivered[i]); // each event is a transition
            Assert.True(Allowed(delivered[i - 1], delivered[i]), $"{delivered[i - 1]} -> {delivered[i]} in {string.Join(", ", delivered)}");
        }

        Assert.Contains(SyncConnectionStatus.Disconnected, delivered);

        // The channel starts with the status at subscription (which may come after some events: the watcher's task
        // starts when the pool gets to it); after that it sees exactly the transitions the event delivered after it,
        // in order, read by its consumer a moment later.
        await Eventually.TrueAsync(() =>
        {
            lock (watched)
            {
                return watched.Count > 0 && SeesTheSameTransitionsAfterSubscribing(watched, delivered);
            }
        }, "the watcher saw the same transitions as the event");
        await stopWatching.CancelAsync();
        await watching;
    }

    private static bool Allowed(SyncConnectionStatus from, SyncConnectionStatus to) => (from, to) switch
    {
        (SyncConnectionStatus.Disconnected, SyncConnectionStatus.Connecting) => true,
        (SyncConnectionStatus.Connecting, SyncConnectionStatus.Syncing or SyncConnectionStatus.Connected or SyncConnectionStatus.Disconnected) => true,
        (SyncConnectionStatus.Syncing, SyncConnectionStatus.Connected or SyncConnectionStatus.Disconnected) => true,
        (SyncConnectionStatus.Connected, SyncConnectionStatus.Syncing or SyncConnectionStatus.Disconnected) => true,
        _ => false,
    };

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The watched statuses after the first are the events' last ones, and the first (the status at subscription) is
    /// the event just before them, or the status before any event.
    /// </summary>
    private static bool SeesTheSameTransitionsAfterSubscribing(List<SyncConnectionStatus> watched, List<SyncConnectionStatus> delivered)
    {
        int after = watched.Count - 1, start = delivered.Count - after;
        return start >= 0 && delivered.Skip(start).SequenceEqual(watched.Skip(1)) && (start == 0 || delivered[start - 1] == watched[0]);
    }
}
