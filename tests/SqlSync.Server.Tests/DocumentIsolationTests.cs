using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;
using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// A document that fails, or is slow, holds up only itself: a corrupt document is refused on its own while the
/// connection's other documents sync (issue 13, case 4), and a slow step costs nobody a thread, so unrelated
/// documents and plain HTTP requests are served while it runs (case 7).
/// </summary>
[Collection(RunAlone.Name)] // counts the process's threads
public sealed class DocumentIsolationTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ACorruptDocumentIsRefusedAloneWhileTheConnectionsHealthyDocumentsConverge()
    {
        await using (var first = await TestServer.StartAsync(ServerDirectory))
        {
            using LocalDocument seed = Client("seed", "broken");
            seed.Mutate(new CounterMutations.CreateSchemaMutation());
            await using var client = Connect(first, seed);
            await ConvergedAsync(seed, first.Document("broken"), "the seed");
        }

        Corrupt(Path.Combine(ServerDirectory, "broken", "storage"));
        await using var server = await TestServer.StartAsync(ServerDirectory);
        string[] healthy = { "one", "two", "three" };
        var documents = healthy.Select(id => Client("c", id)).ToList();
        using LocalDocument broken = Client("c", "broken");
        try
        {
            foreach (LocalDocument document in documents)
            {
                document.Mutate(new CounterMutations.CreateSchemaMutation());
                document.Mutate(new CounterMutations.AddMutation("n", 7));
            }

            broken.Mutate(new CounterMutations.CreateSchemaMutation());
            await using SqlSyncClient client = Connect(server, broken);
            foreach (LocalDocument document in documents)
            {
                client.Add(document);
            }

            foreach (LocalDocument document in documents)
            {
                await ConvergedAsync(document, server.Document(document.DocumentId), document.DocumentId);
                Assert.Equal(7, Value(server.Document(document.DocumentId), "n"));
            }

            await Eventually.TrueAsync(() => client.GetDocumentError(broken) is not null, "the broken document is reported");
            string report = client.GetDocumentError(broken)!;
            Assert.Contains("broken", report, StringComparison.Ordinal);
            Assert.DoesNotContain(ServerDirectory, report, StringComparison.Ordinal);
            Assert.Contains("broken", client.LastError!.Message, StringComparison.Ordinal);
            Assert.Equal(1, client.ConnectionCount); // the link stayed
            Assert.Equal(SyncConnectionStatus.Connected, client.Status);
            Assert.False(server.Host.IsOpen("broken"), "a failed open leaves nothing held");
        }
        finally
        {
            documents.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ACorruptDocumentGetsAPerDocumentErrorFrameAndTheLinkGoesOn()
    {
        Directory.CreateDirectory(Path.Combine(ServerDirectory, "broken", "storage"));
        await using (var first = await TestServer.StartAsync(ServerDirectory))
        {
            first.Document("broken"); // created, then closed at stop
        }

        Corrupt(Path.Combine(ServerDirectory, "broken", "storage"));
        await using var server = await TestServer.StartAsync(ServerDirectory);
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await raw.SendAsync(new OpenDocumentMessage("broken", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        ErrorMessage error = await raw.ExpectAsync<ErrorMessage>();
        Assert.Equal(ProtocolErrorCode.DocumentFailed, error.Code);
        Assert.Equal("broken", error.DocumentId);
        Assert.DoesNotContain(ServerDirectory, error.Message, StringComparison.Ordinal);
        await raw.SendAsync(new OpenDocumentMessage("fine", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        await raw.ExpectAsync<DocumentOpenedMessage>(o => o.DocumentId == "fine");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ASlowStepBesideManyWaitingClientsLeavesAnotherDocumentAndPlainHttpServed()
    {
        using var release = new ManualResetEventSlim();
        var slow = new SlowReducer(release);
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
            options.ReducerFor = id => id == "slow" ? slow : CounterMutations.Reducer.Instance);
        var waiting = new List<RawSyncSocket>();
        try
        {
            // One client starts the slow step; 60 more open the document while it runs. They wait without a thread.
            int threads = 0;
            for (int i = 0; i <= 60; i++)
            {
                RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
                waiting.Add(raw);
                await raw.SendAsync(new OpenDocumentMessage("slow", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
                if (i == 0)
                {
                    await raw.ExpectAsync<DocumentOpenedMessage>();
                    await raw.SendAsync(new TimelineEntriesMessage("slow", RawSyncSocket.AddEntries(Lsn.Zero, 1, "slow")));
                    await Eventually.TrueAsync(() => slow.Running, "the slow step runs");
                    threads = ThreadPool.ThreadCount;
                }
            }

            await Eventually.TrueAsync(() => server.Host.WaitingOn("slow") == 60, "60 clients wait on the slow document");
            Assert.True(ThreadPool.ThreadCount < threads + 30, $"waiting clients hold no thread: {ThreadPool.ThreadCount} threads, {threads} before they came");

            // While it runs: an unrelated document syncs, and a plain HTTP request is answered.
            using LocalDocument other = Client("other", "other");
            other.Mutate(new CounterMutations.CreateSchemaMutation());
            other.Mutate(new CounterMutations.AddMutation("n", 3));
            await using (SqlSyncClient client = Connect(server, other))
            {
                await ConvergedAsync(other, server.Document("other"), "the unrelated document", TimeSpan.FromSeconds(30));
            }

            using var http = new HttpClient();
            var plain = new UriBuilder(server.SyncUri) { Scheme = "http" }.Uri;
            using HttpResponseMessage response = await http.GetAsync(plain);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode); // the endpoint's answer to plain HTTP
            Assert.True(slow.Running, "all of it happened while the slow step ran");
        }
        finally
        {
            release.Set();
            foreach (RawSyncSocket raw in waiting)
            {
                await raw.DisposeAsync();
            }
        }
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AStuckDocumentDoesNotHoldUpUploadsOfAnotherDocumentOnTheSameConnection()
    {
        using var release = new ManualResetEventSlim();
        var slow = new SlowReducer(release);
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
            options.ReducerFor = id => id == "stuck" ? slow : CounterMutations.Reducer.Instance);
        try
        {
            using LocalDocument stuck = Client("c", "stuck");
            using LocalDocument free = Client("c", "free");
            free.Mutate(new CounterMutations.CreateSchemaMutation());
            await using SqlSyncClient client = Connect(server, stuck); // first, so its uploads go out first
            client.Add(free);
            await ConvergedAsync(free, server.Document("free"), "free, before");
            stuck.Mutate(new CounterMutations.CreateSchemaMutation());
            await Eventually.TrueAsync(() => slow.Running, "the stuck document's step runs");
            stuck.Mutate(new CounterMutations.AddMutation("s", 1)); // queued behind the stuck step

            free.Mutate(new CounterMutations.AddMutation("n", 5));
            await ConvergedAsync(free, server.Document("free"), "free, beside the stuck document", TimeSpan.FromSeconds(30));
            Assert.Equal(5, Value(server.Document("free"), "n"));
            Assert.True(slow.Running, "while the other document's step ran");
            Assert.Equal(1, client.ConnectionCount);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>Overwrites every file under <paramref name="directory"/> with garbage of the same length.</summary>
    private static void Corrupt(string directory)
    {
        foreach (string file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
        {
            long length = Math.Max(64, new FileInfo(file).Length);
            File.WriteAllBytes(file, Enumerable.Repeat((byte)0xA5, (int)length).ToArray());
        }
    }

    /// <summary>Blocks every mutation until released (bounded, so a failing test still ends).</summary>
    private sealed class SlowReducer(ManualResetEventSlim release) : IMutationReducer
    {
        private int _running;

        public bool Running => Volatile.Read(ref _running) == 1 && !release.IsSet;

        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            Volatile.Write(ref _running, 1);
            release.Wait(TimeSpan.FromSeconds(60));
        }
    }
}
