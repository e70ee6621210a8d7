using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

public sealed class IntegrationTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Integration")]
    public async Task TwoClientsEditOneDocumentOneOfThemOfflineAndConverge()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using var a = Client("a");
        using var b = Client("b");
        a.CreateSchema();
        b.CreateSchema();
        await using (SqlSyncClient syncA = Connect(server, a))
        {
            for (int i = 0; i < 50; i++)
            {
                a.Add("shared", 1);
            }

            // b is offline: it edits without a connection.
            for (int i = 0; i < 30; i++)
            {
                b.Add("shared", 10);
                b.Add("b-only", 1);
            }

            await Eventually.TrueAsync(() => a.PendingMutationCount == 0, "a's mutations are applied");
            await using SqlSyncClient syncB = Connect(server, b);
            await Eventually.TrueAsync(() => b.PendingMutationCount == 0 && a.StorageRange == b.StorageRange, "both hold the same storage");
        }

        Assert.Equal(350L, Value(a, "shared"));
        Assert.Equal(350L, Value(b, "shared"));
        Assert.Equal(30L, Value(a, "b-only"));
        Assert.Equal(a.StorageChecksum, b.StorageChecksum);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task ConnectionsCarryingSeveralDocumentsUploadAtOnceAndConverge()
    {
        // Idle documents are stepped on the receiving connection's thread, and a step tells every connection
        // that holds the document. Several connections stepping different documents at once must not wait on
        // each other (an earlier version deadlocked here: each held its link while asking the other's).
        await using var server = await TestServer.StartAsync(ServerDirectory);
        string[] documentIds = ["counters", "tallies", "scores"];
        var documents = new List<LocalDocument>();
        var clients = new List<SqlSyncClient>();
        try
        {
            for (int c = 0; c < 4; c++)
            {
                var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server.SyncUri, ClientName = $"c{c}" });
                foreach (string documentId in documentIds)
                {
                    LocalDocument document = Client($"c{c}", documentId);
                    document.CreateSchema();
                    documents.Add(document);
                    client.Add(document);
                }

                client.Start();
                clients.Add(client);
            }

            // Each document of each client adds one at a time and waits for it to be applied, so uploads reach
            // an idle server on many connections at once (stepped inline) rather than queueing behind each other.
            await Task.WhenAll(documents.Select(document => Task.Run(async () =>
            {
                for (int i = 0; i < 25; i++)
                {
                    document.Add("hits", 1);
                    await Eventually.TrueAsync(() => document.PendingMutationCount == 0, $"{document.DocumentId}'s add {i} is applied", TimeSpan.FromSeconds(60));
                }
            })));

            foreach (string documentId in documentIds)
            {
                CoordinatorDocument coordinator = server.Host.GetDocument(documentId);
                foreach (LocalDocument document in documents.Where(d => d.DocumentId == documentId))
                {
                    await ConvergedAsync(document, coordinator, documentId);
                }

                Assert.Equal(4 * 25L, Value(coordinator, "hits"));
            }
        }
        finally
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
}
