using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

public sealed class IntegrationTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sqlsync-server-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private LocalDocument Client(string name, string documentId = "counters") => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = documentId,
        Reducer = CounterMutations.Reducer.Instance,
        Directory = Path.Combine(_root, "clients", name),
        FsyncOnAppend = false,
    });

    private static SqlSyncClient Connect(TestServer server, LocalDocument document, string? token = null)
    {
        var client = new SqlSyncClient(new SqlSyncClientOptions
        {
            ServerUri = server.SyncUri,
            ClientName = "test",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            ConfigureWebSocket = token is null ? null : o => o.SetRequestHeader("Authorization", "Bearer " + token),
        });
        client.Add(document);
        client.Start();
        return client;
    }

    private static long Value(LocalDocument document, string name) =>
        document.QueryScalar<long>("SELECT value FROM counters WHERE name = ?1", name);

    [Fact]
    [Trait("Category", "Integration")]
    public async Task TwoClientsEditOneDocumentOneOfThemOfflineAndConverge()
    {
        await using var server = await TestServer.StartAsync(Path.Combine(_root, "server"));
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
}
