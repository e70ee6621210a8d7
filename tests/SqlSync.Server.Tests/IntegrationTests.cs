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
}
