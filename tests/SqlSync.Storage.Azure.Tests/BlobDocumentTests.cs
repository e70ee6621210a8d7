using Azure.Storage.Blobs;
using SqlSync.Documents;
using SqlSync.Journals;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Storage.Azure;

/// <summary>
/// Coordinator documents whose journals are blobs (decision 0031): one replaced by another on an empty disk goes on
/// with nothing lost or doubled, and of two coordinators of one document only one can extend its history.
/// </summary>
[Trait("Category", "ObjectStorage")]
public sealed class BlobDocumentTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private const string DocumentId = "blob-doc";
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "sqlsync-blobdoc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
    }

    private CoordinatorDocument OpenCoordinator(BlobContainerClient container, string disk) => CoordinatorDocument.Open(new CoordinatorDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = Reducer,
        Directory = Path.Combine(_temp, disk), // a fresh, empty local directory each time: caches only
        JournalStore = new BlobJournalStore(container, DocumentId + "/"),
    });

    private static LocalDocument OpenClient() => LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = Reducer, FsyncOnAppend = false });

    private static long Count(CoordinatorDocument coordinator) => (long)coordinator.Query("SELECT count(*) FROM items")[0][0]!;

    [Fact]
    public void A_coordinator_replaced_by_one_on_an_empty_disk_goes_on_with_nothing_lost_or_doubled()
    {
        BlobContainerClient container = azurite.NewContainer();
        using LocalDocument client = OpenClient();
        using (CoordinatorDocument first = OpenCoordinator(container, "first"))
        {
            client.Mutate(new CreateSchema());
            for (int i = 0; i < 20; i++)
            {
                client.Mutate(new Insert(i, $"item {i}", i));
                if (i % 7 == 6)
                {
                    DirectSync.Sync(client, first);
                }
            }

            DirectSync.Sync(client, first);
            Assert.Equal(20L, Count(first));
        }

        using CoordinatorDocument second = OpenCoordinator(container, "second");
        Assert.Equal(20L, Count(second));
        for (int i = 20; i < 25; i++)
        {
            client.Mutate(new Insert(i, $"item {i}", i));
        }

        DirectSync.Sync(client, second);
        Assert.Equal(25L, Count(second));
        Assert.Equal(25L, client.QueryScalar<long>("SELECT count(*) FROM items"));
        Assert.Equal(Enumerable.Range(0, 25).Sum(), (long)second.Query("SELECT sum(qty) FROM items")[0][0]!);
    }

    [Fact]
    public void Of_two_coordinators_of_one_document_only_one_extends_its_history()
    {
        BlobContainerClient container = azurite.NewContainer();
        using LocalDocument writerA = OpenClient();
        using LocalDocument writerB = OpenClient();
        using (CoordinatorDocument a = OpenCoordinator(container, "a"))
        using (CoordinatorDocument b = OpenCoordinator(container, "b"))
        {
            writerA.Mutate(new CreateSchema());
            writerA.Mutate(new Insert(1, "from a", 1));
            DirectSync.Sync(writerA, a);

            writerB.Mutate(new CreateSchema());
            writerB.Mutate(new Insert(2, "from b", 2));
            var fenced = Assert.Throws<SqlSyncException>(() => DirectSync.Sync(writerB, b));
            Assert.Equal(SqlSyncErrorCode.JournalFenced, fenced.Code);
            Assert.True(b.IsFenced);
            Assert.False(a.IsFenced);
            writerB.Mutate(new Insert(3, "later from b", 4));
            Assert.Equal(SqlSyncErrorCode.JournalFenced, Assert.Throws<SqlSyncException>(() => DirectSync.Sync(writerB, b)).Code); // it stays fenced: takes nothing
            Assert.Equal(0, b.QueuedMutationCount);
        }

        // One history: A's steps; B's upload, acknowledged before the fence or sent again, is applied once by the next coordinator.
        using CoordinatorDocument next = OpenCoordinator(container, "next");
        DirectSync.Sync(writerB, next);
        DirectSync.Sync(writerA, next);
        Assert.Equal(3L, Count(next));
        Assert.Equal(7L, (long)next.Query("SELECT sum(qty) FROM items")[0][0]!);
    }

    /// <summary>
    /// Two live coordinators: a step that lost its storage LSN to the other one did not stop the process, so the in-flight
    /// note it left is no strike, even fenced twice in a row with one entry in flight. Before the note kept the step's
    /// storage LSN, the next copy rejected an acknowledged mutation as a poison pill.
    /// </summary>
    [Fact]
    public void A_step_fenced_twice_in_a_row_is_no_poison_pill()
    {
        BlobContainerClient container = azurite.NewContainer();
        using LocalDocument fencedClient = OpenClient();
        using LocalDocument winnerClient = OpenClient();
        using CoordinatorDocument winner = OpenCoordinator(container, "winner");
        fencedClient.Mutate(new CreateSchema());
        fencedClient.Mutate(new Insert(1, "from the fenced side", 1));
        winnerClient.Mutate(new CreateSchema());
        for (int fence = 0; fence < 2; fence++)
        {
            using CoordinatorDocument loser = OpenCoordinator(container, "loser" + fence);
            DirectSync.Upload(fencedClient, loser); // acknowledged: in the store
            winnerClient.Mutate(new Insert(10 + fence, "from the winner", 1));
            DirectSync.Sync(winnerClient, winner); // writes the LSN the loser's step is about to write
            Assert.Equal(SqlSyncErrorCode.JournalFenced, Assert.Throws<SqlSyncException>(() => loser.StepAll()).Code);
        }

        using CoordinatorDocument next = OpenCoordinator(container, "next");
        next.StepAll();
        Assert.Empty(next.Query("SELECT error FROM __sqlsync_rejections").Select(r => (string)r[0]!));
        Assert.Equal(1L, (long)next.Query("SELECT count(*) FROM items WHERE id = 1")[0][0]!);
        Assert.Equal(3L, Count(next));
    }
}
