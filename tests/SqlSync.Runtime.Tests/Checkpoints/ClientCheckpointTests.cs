using SqlSync.Documents;
using SqlSync.Journals;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

public sealed class ClientCheckpointTests
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AClientCheckpointsWhatItReceivedDropsTheEntriesBeforeAndReopensFromTheCheckpointAndTail()
    {
        using var temp = new TempDirectory();
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "client-ckpt", Reducer = Reducer });
        var options = new LocalDocumentOptions
        {
            DocumentId = "client-ckpt",
            Reducer = Reducer,
            Directory = temp.Sub("client"),
            CheckpointMinJournalBytes = 0,
            CheckpointJournalRatio = 1.0,
        };
        ulong checksum;
        string rows;
        using (var client = LocalDocument.Open(options))
        {
            client.Mutate(new CreateSchema());
            client.Mutate(new Insert(1, "a", 0));
            for (int i = 0; i < 60; i++)
            {
                client.Mutate(new AddQuantity(1, 1));
                DirectSync.Sync(client, coordinator); // one entry at a time: the policy runs after each receive
            }

            await client.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(coordinator.StorageRange.Last, client.NewestCheckpointLsn);
            Assert.True(client.StorageRange.First > Lsn.Zero, $"the client's journal was not compacted: {client.StorageRange}");
            Assert.Equal(coordinator.StorageRange.Next, client.StorageRange.Next);
            client.Mutate(new AddQuantity(1, 100)); // pending across the restart
            checksum = client.StorageChecksum;
            rows = string.Join(";", client.Query("SELECT id, qty FROM items").Select(r => $"{r[0]}={r[1]}"));
        }

        using (var client = LocalDocument.Open(options))
        {
            Assert.Equal(checksum, client.StorageChecksum);
            Assert.Equal(rows, string.Join(";", client.Query("SELECT id, qty FROM items").Select(r => $"{r[0]}={r[1]}")));
            Assert.NotNull(client.NewestCheckpointLsn);

            DirectSync.Sync(client, coordinator); // the pending mutation still uploads and rebases on top
            Assert.Equal(coordinator.StorageChecksum, client.StorageChecksum);
            Assert.Equal(160L, (long)client.Query("SELECT qty FROM items WHERE id = 1")[0][0]!);
        }
    }
}
