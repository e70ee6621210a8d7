using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>
/// A coordinator whose journals are in a store that keeps checkpoints (decision 0037): it checkpoints and compacts
/// through the store, and one opened on an empty local directory finds the checkpoint, the timeline owners and the
/// in-flight note there. Run against each such store (memory here, blobs in the Azure tests).
/// </summary>
public abstract class StoreDocumentTests : IDisposable
{
    private const string DocumentId = "store-doc";
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "sqlsync-storedoc-" + Guid.NewGuid().ToString("N"));
    private int _disks;

    /// <summary>A new, empty store for one document.</summary>
    private protected abstract IJournalStore NewStore();

    public void Dispose()
    {
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    private CoordinatorDocument OpenOnEmptyDisk(IJournalStore store) => CoordinatorDocument.Open(new CoordinatorDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = Reducer,
        Directory = Path.Combine(_temp, "disk" + _disks++), // caches only
        JournalStore = store,
        StorageRetention = TimeSpan.FromDays(1), // compaction only when the test says
    });

    private static LocalDocument OpenClient() => LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = Reducer, FsyncOnAppend = false });

    private static long Count(CoordinatorDocument coordinator) => (long)coordinator.Query("SELECT count(*) FROM items")[0][0]!;

    private static void Insert(LocalDocument client, CoordinatorDocument coordinator, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            client.Mutate(new Insert(i, $"item {i} " + new string('x', 200), i));
        }

        DirectSync.Sync(client, coordinator);
    }

    [Fact, Trait("Category", "ObjectStorage")]
    public async Task A_document_compacts_through_the_store_and_opens_from_its_checkpoint_on_an_empty_disk()
    {
        IJournalStore store = NewStore();
        using LocalDocument client = OpenClient();
        Lsn newest;
        using (CoordinatorDocument first = OpenOnEmptyDisk(store))
        {
            client.Mutate(new CreateSchema());
            Insert(client, first, 0, 30);
            await first.CheckpointAsync();
            first.CompactNow();
            Lsn older = first.NewestCheckpointLsn!.Value;
            Assert.Equal([older], store.Checkpoints());

            Insert(client, first, 30, 30);
            await first.CheckpointAsync();
            first.CompactNow();
            newest = first.NewestCheckpointLsn!.Value;
            Assert.True(newest > older);
            Assert.Equal([newest], store.Checkpoints()); // the older one went with the entries it covered
            Assert.True(first.StorageRange.First > older, $"compacted: storage {first.StorageRange}");
        }

        using CoordinatorDocument second = OpenOnEmptyDisk(store);
        Assert.Equal(newest, second.NewestCheckpointLsn);
        Assert.Equal(60L, Count(second));
        Assert.Equal(Enumerable.Range(0, 60).Sum(), (long)second.Query("SELECT sum(qty) FROM items")[0][0]!);
        (Lsn Lsn, long Length, uint Pages) joinFrom = second.CheckpointForReplica()!.Value; // a new replica joins from it
        Assert.Equal(newest, joinFrom.Lsn);
        Assert.Equal(16, second.ReadCheckpointForReplica(newest, 0, 16)!.Length);

        Insert(client, second, 60, 5);
        Assert.Equal(65L, Count(second));
        Assert.Equal(65L, client.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    [Fact, Trait("Category", "ObjectStorage")]
    public void Timeline_owners_are_in_the_store()
    {
        IJournalStore store = NewStore();
        var timeline = TimelineId.New();
        TimelineSecret secret = TimelineSecret.New();
        using (CoordinatorDocument first = OpenOnEmptyDisk(store))
        {
            Assert.Equal(TimelineClaim.Claimed, first.ClaimTimeline(timeline, "alice", secret, () => true));
        }

        using CoordinatorDocument second = OpenOnEmptyDisk(store);
        Assert.Equal(TimelineClaim.WrongSecret, second.ClaimTimeline(timeline, "alice", TimelineSecret.New(), () => true));
        Assert.Equal(TimelineClaim.OtherPrincipal, second.ClaimTimeline(timeline, "mallory", secret, () => true));
        Assert.Equal(TimelineClaim.Owned, second.ClaimTimeline(timeline, "alice", secret, () => true));
    }

    [Fact, Trait("Category", "ObjectStorage")]
    public void The_in_flight_note_is_in_the_store_so_a_pill_is_refused_on_another_disk()
    {
        IJournalStore store = NewStore();
        using LocalDocument client = OpenClient();
        client.Mutate(new CreateSchema());
        client.Mutate(new Insert(1, "one", 1));
        for (int stop = 0; stop < 2; stop++)
        {
            // A step that never finishes (a crash, each time on another machine's disk).
            using CoordinatorDocument crashing = OpenOnEmptyDisk(store);
            if (stop == 0)
            {
                DirectSync.Upload(client, crashing);
            }

            crashing.FaultInjection = point =>
            {
                if (point == CoordinatorStepPoint.BeforeSqliteCommit)
                {
                    throw new IOException("the process stopped");
                }
            };
            Assert.ThrowsAny<Exception>(() => crashing.StepAll());
        }

        // In flight at two stops in a row, alone the second time: refused unrun, on a third disk.
        using CoordinatorDocument third = OpenOnEmptyDisk(store);
        third.StepAll();
        Assert.Equal(0L, (long)third.Query("SELECT count(*) FROM sqlite_master WHERE name = 'items'")[0][0]!);
        Assert.Equal(0, third.QueuedMutationCount);
    }
}
