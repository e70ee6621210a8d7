using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Events of documents and clients are raised with no engine lock held, so handlers may call back into
/// both while mutations and rebases run. A hang fails these tests at a deadline (their clients and
/// documents are then left undisposed: disposing would wait on the deadlocked threads).
/// </summary>
public sealed class EventDeliveryTests : ServerTestBase
{
    private const ulong StorageEntries = 100;
    private const int MaxMutationsPerClient = 3_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task AChangedHandlerThatAsksTheClientDoesNotDeadlockWhileStorageArrives()
    {
        // Before: Mutate raised Changed under the document's lock and the handler waited for the client's
        // engine lock, which the receive loop held while it waited for the document's lock to rebase.
        await using var server = await TestServer.StartAsync(ServerDirectory);
#pragma warning disable CA2000 // disposed in the finally below, except after a hang (disposing would wait on the deadlock)
        LocalDocument a = Client("a");
        LocalDocument b = Client("b");
        a.CreateSchema();
        b.CreateSchema();
        SqlSyncClient syncA = Connect(server, a);
        SqlSyncClient syncB = Connect(server, b);
#pragma warning restore CA2000
        int asked = 0;
        long total = 0;
        a.Changed += (_, _) => Ask(syncA, a);
        b.Changed += (_, _) => Ask(syncB, b);
        void Ask(SqlSyncClient client, LocalDocument document)
        {
            client.IsUploaded(document);
            Interlocked.Increment(ref asked);
        }

        bool hung = false;
        try
        {
            Task work = Task.Run(async () =>
            {
                // Mutate for as long as storage keeps arriving, so that rebases overlap the mutations.
                int[] made = await Task.WhenAll(
                    Task.Run(() => AddWhileStorageArrives(a)),
                    Task.Run(() => AddWhileStorageArrives(b)));
                total = made.Sum();
                CoordinatorDocument coordinator = server.Document("counters");
                await ConvergedAsync(a, coordinator, "a", Deadline);
                await ConvergedAsync(b, coordinator, "b", Deadline);
            });
            hung = !await FinishesAsync(work);
            Assert.False(hung, "mutating while storage arrived deadlocked with a Changed handler that asks the client");
            await work;
            Assert.Equal(total, Value(a, "hits"));
            Assert.Equal(total, Value(b, "hits"));
            Assert.True(Volatile.Read(ref asked) >= total, $"the handlers ran {asked} times for {total} mutations");
        }
        finally
        {
            if (!hung)
            {
                await DisposeAllAsync([syncA, syncB], [a, b]);
            }
        }
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task HandlersThatCallBackFromEveryEventNeitherHangNorLoseNorReorderEvents()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.UseReducer(StockMutations.Reducer.Instance));
        LocalDocument a = StockClient("a");
        LocalDocument b = StockClient("b");
        a.CreateStockSchema();
        a.Stock("s", 50);
        b.CreateStockSchema();
        b.Stock("s", 50);
        for (int i = 0; i < 50; i++)
        {
            b.Take("s"); // offline: a takes all 50 first, so the coordinator rejects these 50
        }

        SqlSyncClient syncA = NewClient(server, "a");
        SqlSyncClient syncB = NewClient(server, "b");
        var probeA = new EventProbe(a, syncA);
        var probeB = new EventProbe(b, syncB);
        bool hung = false;
        try
        {
            Task work = Task.Run(async () =>
            {
                syncA.Add(a);
                syncA.Start();
                for (int i = 0; i < 50; i++)
                {
                    a.Take("s");
                }

                await Eventually.TrueAsync(() => a.PendingMutationCount == 0, "a's takes are applied", Deadline);
                syncB.Add(b);
                syncB.Start();
                await Task.WhenAll(
                    Task.Run(() => CountMany(a, 300)),
                    Task.Run(() => CountMany(b, 300)));
                CoordinatorDocument coordinator = server.Document("stock");
                await Eventually.TrueAsync(
                    () => a.PendingMutationCount == 0 && b.PendingMutationCount == 0 && coordinator.QueuedMutationCount == 0
                          && a.StorageRange.Next == coordinator.StorageRange.Next && b.StorageRange.Next == coordinator.StorageRange.Next
                          && probeB.Rejections == 50 && probeA.HandlerMutations == EventProbe.MaxHandlerMutations
                          && probeB.HandlerMutations == EventProbe.MaxHandlerMutations,
                    "both replicas hold the coordinator's storage, nothing pending, every rejection delivered", Deadline);
            });
            hung = !await FinishesAsync(work);
            Assert.False(hung, "handlers calling back into the document and the client deadlocked");
            await work;
        }
        finally
        {
            if (!hung)
            {
                await DisposeAllAsync([syncA, syncB], []);
            }
        }

        try
        {
            Assert.Empty(probeA.Violations);
            Assert.Empty(probeB.Violations);
            Assert.Equal(0, probeA.Rejections);
            Assert.Equal(50, b.GetRejections().Count);
            Assert.Equal(a.StorageChecksum, b.StorageChecksum);
            Assert.Equal(0L, a.QueryScalar<long>("SELECT left FROM stock WHERE name = 's'"));
            Assert.Equal(600L, Tally(a, "writer"));
            Assert.Equal(50L, Tally(a, "after-rejection"));
            Assert.Equal(probeA.HandlerMutations + probeB.HandlerMutations, Tally(a, "handler"));
            Assert.True(probeA.Changes > 0 && probeB.Changes > 0, "both documents raised Changed");
            foreach (EventProbe probe in new[] { probeA, probeB })
            {
                SyncConnectionStatus[] statuses = probe.Statuses;
                Assert.Equal(SyncConnectionStatus.Connecting, statuses[0]);
                for (int i = 1; i < statuses.Length; i++)
                {
                    Assert.NotEqual(statuses[i - 1], statuses[i]);
                }
            }
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    /// <summary>Adds until the replica has received <see cref="StorageEntries"/> storage entries; returns how many it added.</summary>
    private static int AddWhileStorageArrives(LocalDocument document)
    {
        int added = 0;
        // Bounded too: steps gather uploads (they no longer run inline), so storage may grow slowly while this loop
        // piles up pending mutations that every rebase replays; a few thousand overlap plenty of rebases.
        while (document.StorageRange.Next.Value < StorageEntries && added < MaxMutationsPerClient)
        {
            document.Add("hits", 1);
            added++;
        }

        return added;
    }

    private static void CountMany(LocalDocument document, int count)
    {
        for (int i = 0; i < count; i++)
        {
            document.Count("writer");
        }
    }

    private static long Tally(LocalDocument document, string name) =>
        document.QueryScalar<long>("SELECT value FROM tally WHERE name = ?1", name);

    private LocalDocument StockClient(string name) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "stock",
        Reducer = StockMutations.Reducer.Instance,
        Directory = Path.Combine(Root, "clients", name, "stock"),
        FsyncOnAppend = false,
    });

    private static SqlSyncClient NewClient(TestServer server, string name) => new(new SqlSyncClientOptions
    {
        ServerUri = server.SyncUri,
        ClientName = name,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    });

    /// <summary>False when <paramref name="work"/> is still running at the deadline (its exceptions are left to the caller).</summary>
    private static async Task<bool> FinishesAsync(Task work)
    {
        using var deadline = new CancellationTokenSource();
        Task first = await Task.WhenAny(work, Task.Delay(Deadline, deadline.Token));
        await deadline.CancelAsync();
        return first == work;
    }

    private static async Task DisposeAllAsync(SqlSyncClient[] clients, LocalDocument[] documents)
    {
        foreach (SqlSyncClient client in clients)
        {
            await client.DisposeAsync();
        }

        foreach (LocalDocument document in documents)
        {
            document.Dispose();
        }
    }
}
