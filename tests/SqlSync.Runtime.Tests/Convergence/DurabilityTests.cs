using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>
/// A coordinator that crashes inside a step (or loses the torn tail of its storage journal) comes back from
/// its directory without applying any mutation twice and without losing any it acknowledged.
/// </summary>
public sealed class DurabilityTests
{
    private const string DocumentId = "durability";
    private const int ItemCount = 4;

    [Theory]
    [Trait("Category", "Durability")]
    [InlineData("BeforeSqliteCommit", 1)]
    [InlineData("BeforeSqliteCommit", 5)]
    [InlineData("AfterSqliteCommit", 1)]
    [InlineData("AfterSqliteCommit", 5)]
    [InlineData("BeforeStorageAppend", 1)]
    [InlineData("BeforeStorageAppend", 5)]
    [InlineData("AfterStorageAppend", 1)]
    [InlineData("AfterStorageAppend", 5)]
    public void ACrashInsideAStepAppliesNothingTwiceAndLosesNothingAcknowledged(string pointName, int batchSize)
    {
        CoordinatorStepPoint point = Enum.Parse<CoordinatorStepPoint>(pointName);
        using var directory = new ScratchDirectory(preferMemoryBacked: false);
        var world = new World(directory.Sub("coordinator"), clientCount: 3);
        try
        {
            world.Setup();
            world.MakeQuantityMutations(perClient: 8, withFailure: true);
            world.UploadAll();
            world.Coordinator.Step(batchSize); // some applied before the crash
            SyncDriver.Download(world.Clients[2], world.Coordinator);

            int reached = 0;
            world.Coordinator.FaultInjection = p =>
            {
                if (p == point && ++reached == 2)
                {
                    throw new IOException($"injected crash at {p}");
                }
            };
            LsnRange storageBefore = world.Coordinator.StorageRange;
            Assert.Equal(batchSize, world.Coordinator.Step(batchSize)); // the hook is passed once, harmlessly
            LsnRange storageBeforeCrash = world.Coordinator.StorageRange;
            Assert.Equal(storageBefore.Next.Value + 1, storageBeforeCrash.Next.Value);
            var crash = Assert.Throws<IOException>(() => world.Coordinator.Step(batchSize));
            Assert.Contains(pointName, crash.Message, StringComparison.Ordinal);

            world.RestartCoordinator();
            ulong expectedNext = storageBeforeCrash.Next.Value + (point == CoordinatorStepPoint.AfterStorageAppend ? 1UL : 0UL);
            Assert.Equal(expectedNext, world.Coordinator.StorageRange.Next.Value);
            world.AssertNothingAcknowledgedLost();

            world.MakeQuantityMutations(perClient: 2, withFailure: false);
            world.UploadAll();
            world.Coordinator.StepAll(batchSize);
            world.DownloadAll();
            world.AssertConverged();
        }
        finally
        {
            world.Dispose();
        }
    }

    [Fact]
    [Trait("Category", "Durability")]
    public void ATornLastStorageEntryDropsOnlyThatStepWhichIsAppliedAgain()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: false);
        string coordinatorDirectory = directory.Sub("coordinator");
        var world = new World(coordinatorDirectory, clientCount: 2);
        try
        {
            world.Setup();
            world.MakeQuantityMutations(perClient: 3, withFailure: false);
            world.UploadAll();
            while (world.Coordinator.Step(1) > 0)
            {
            }

            LsnRange full = world.Coordinator.StorageRange;
            ulong checksum = world.Coordinator.StorageChecksum;
            var applied = new Dictionary<TimelineId, Lsn>(world.Coordinator.GetAppliedLsns());
            byte[] lastEntry = world.Coordinator.Database.Storage.Journal.Read(full.Last).ToArray();

            world.Coordinator.Dispose();
            string segment = Directory.GetFiles(Path.Combine(coordinatorDirectory, "storage"), "*.seg").Max(StringComparer.Ordinal)!;
            using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(stream.Length - 5); // the last frame loses its tail
            }

            world.RestartCoordinator();
            Assert.Equal(full.Last, world.Coordinator.StorageRange.Next);
            Assert.Equal(1, world.Coordinator.QueuedMutationCount); // only the last step's mutation
            IReadOnlyDictionary<TimelineId, Lsn> afterTear = world.Coordinator.GetAppliedLsns();
            Assert.Equal(applied.Values.Sum(l => (long)l.Value) - 1, afterTear.Values.Sum(l => (long)l.Value));
            world.AssertNothingAcknowledgedLost();

            Assert.Equal(1, world.Coordinator.StepAll());
            Assert.Equal(full, world.Coordinator.StorageRange);
            Assert.Equal(checksum, world.Coordinator.StorageChecksum);
            Assert.Equal(lastEntry, world.Coordinator.Database.Storage.Journal.Read(full.Last).ToArray());
            world.DownloadAll();
            world.AssertConverged();
        }
        finally
        {
            world.Dispose();
        }
    }

    [Fact]
    [Trait("Category", "Durability")]
    public void AReceivedTailLostAfterItsStepIsFilledSoTheClientResumes()
    {
        // Uploads are applied before their received copy is synced (the step's storage entry makes them
        // durable), so a crash can keep the storage and lose the received journal's tail. The client drops
        // what it saw applied and uploads after it: the coordinator must continue there, not report a gap.
        using var directory = new ScratchDirectory(preferMemoryBacked: false);
        string coordinatorDirectory = directory.Sub("coordinator");
        var world = new World(coordinatorDirectory, clientCount: 2);
        try
        {
            world.Setup();
            world.RestartCoordinator(); // everything so far is on disk
            LocalDocument client = world.Clients[0];
            string segment = Directory.GetFiles(Path.Combine(coordinatorDirectory, "timelines", client.TimelineId.ToString()), "*.seg")
                .Max(StringComparer.Ordinal)!;
            long durableLength = new FileInfo(segment).Length;
            Lsn durableNext = world.Coordinator.GetTimelineRange(client.TimelineId).Next;

            world.MakeQuantityMutations(perClient: 3, withFailure: false);
            JournalPartial upload = client.PrepareTimelineSync(world.Coordinator.GetTimelineRange(client.TimelineId))!;
            world.Coordinator.AppendTimeline(client.TimelineId, upload); // queued, not synced
            world.Coordinator.StepAll();
            Lsn applied = world.Coordinator.GetAppliedLsns()[client.TimelineId];
            Assert.Equal(upload.Range.Last, applied);
            SyncDriver.Download(client, world.Coordinator);
            Assert.Equal(0, client.PendingMutationCount); // the client dropped them: it cannot send them again

            world.Coordinator.Dispose();
            using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(durableLength); // the crash lost the unsynced tail
            }

            world.RestartCoordinator();
            Assert.Equal(applied.Next, world.Coordinator.GetTimelineRange(client.TimelineId).Next);
            Assert.True(applied.Next > durableNext);
            Assert.Equal(0, world.Coordinator.QueuedMutationCount); // the placeholders are not applied

            world.MakeQuantityMutations(perClient: 2, withFailure: false);
            world.UploadAll();
            world.Coordinator.StepAll();
            world.DownloadAll();
            world.AssertConverged();
            world.Coordinator.Dispose();
            using var inspector = DocumentInspector.Open(coordinatorDirectory);
            inspector.VerifyJournals(); // placeholders are well-formed entries
        }
        finally
        {
            world.Dispose();
        }
    }

    /// <summary>A coordinator on file journals, memory clients, and the model of what quantities must be.</summary>
    private sealed class World : IDisposable
    {
        private readonly string _directory;
        private readonly Dictionary<TimelineId, Lsn> _acknowledged = new();
        private readonly long[] _expected = new long[ItemCount + 1];
        private int _failures;
        private long _nextDelta = 1;

        public World(string directory, int clientCount)
        {
            _directory = directory;
            Coordinator = Open();
            for (int i = 0; i < clientCount; i++)
            {
                Clients.Add(LocalDocument.Open(new LocalDocumentOptions
                {
                    DocumentId = DocumentId,
                    Reducer = Reducer,
                    FsyncOnAppend = false,
                    KeepMutationsThatFailLocally = true,
                }));
            }
        }

        public CoordinatorDocument Coordinator { get; private set; }

        public List<LocalDocument> Clients { get; } = new();

        public void Setup()
        {
            Clients[0].Mutate(new CreateSchema());
            for (long id = 1; id <= ItemCount; id++)
            {
                Clients[0].Mutate(new Insert(id, "item" + id, 0));
            }

            UploadAll();
            Coordinator.StepAll();
            DownloadAll();
        }

        /// <summary>Distinct positive deltas: any mutation applied twice or lost changes some sum.</summary>
        public void MakeQuantityMutations(int perClient, bool withFailure)
        {
            for (int k = 0; k < perClient; k++)
            {
                foreach (LocalDocument client in Clients)
                {
                    long id = 1 + ((_nextDelta + k) % ItemCount);
                    long delta = _nextDelta++;
                    client.Mutate(new AddQuantity(id, delta));
                    _expected[id] += delta;
                    if (withFailure && k == perClient / 2)
                    {
                        client.Mutate(new TestMutations.Fail("rejected on purpose"));
                        _failures++;
                    }
                }
            }
        }

        public void UploadAll()
        {
            foreach (LocalDocument client in Clients)
            {
                LsnRange known = Coordinator.GetTimelineRange(client.TimelineId);
                while (client.PrepareTimelineSync(known, maxBytes: 100) is { } partial)
                {
                    known = Coordinator.ReceiveTimeline(client.TimelineId, partial);
                    _acknowledged[client.TimelineId] = known.Next;
                }
            }
        }

        public void DownloadAll()
        {
            foreach (LocalDocument client in Clients)
            {
                SyncDriver.Download(client, Coordinator);
            }
        }

        public void RestartCoordinator()
        {
            Coordinator.Dispose();
            Coordinator = Open();
        }

        public void AssertNothingAcknowledgedLost()
        {
            foreach (KeyValuePair<TimelineId, Lsn> acknowledged in _acknowledged)
            {
                Assert.True(Coordinator.GetTimelineRange(acknowledged.Key).Next >= acknowledged.Value,
                    $"The coordinator acknowledged timeline {acknowledged.Key} up to {acknowledged.Value} but holds only {Coordinator.GetTimelineRange(acknowledged.Key)}.");
            }
        }

        public void AssertConverged()
        {
            Assert.Equal(0, Coordinator.QueuedMutationCount);
            var quantities = Coordinator.Query("SELECT id, qty FROM items ORDER BY id").Select(r => ((long)r[0]!, (long)r[1]!)).ToList();
            Assert.Equal(Enumerable.Range(1, ItemCount).Select(id => ((long)id, _expected[id])).ToList(), quantities);
            Assert.Equal(_failures, Coordinator.Query("SELECT count(*) FROM __sqlsync_rejections")[0][0] is long n ? (int)n : -1);

            IReadOnlyDictionary<TimelineId, Lsn> applied = Coordinator.GetAppliedLsns();
            foreach (LocalDocument client in Clients)
            {
                // Everything acknowledged is applied: the timelines table names each client's last LSN.
                Lsn last = new(client.TimelineRange.Next.Value - 1);
                Assert.Equal(last, applied[client.TimelineId]);
                Assert.Equal(_acknowledged[client.TimelineId], client.TimelineRange.Next);
                long recorded = (long)Coordinator.Query("SELECT lsn FROM __sqlsync_timelines WHERE timeline_id = ?1", client.TimelineId.ToString())[0][0]!;
                Assert.Equal((long)last.Value, recorded);

                Assert.Equal(0, client.PendingMutationCount);
                Assert.Equal(Coordinator.StorageRange, client.StorageRange);
                Assert.Equal(Coordinator.StorageChecksum, client.StorageChecksum);
                Assert.Null(DocumentState.DiffPages(Coordinator.Database.Storage, client.Database.Storage));
                foreach ((string name, string sql) in DocumentState.Tables)
                {
                    Assert.Null(DocumentState.DiffRows(name,
                        DocumentState.Rows(s => Coordinator.Query(s), sql), DocumentState.Rows(s => client.Query(s), sql)));
                }
            }
        }

        public void Dispose()
        {
            foreach (LocalDocument client in Clients)
            {
                client.Dispose();
            }

            Coordinator.Dispose();
        }

        private CoordinatorDocument Open() =>
            CoordinatorDocument.Open(new CoordinatorDocumentOptions
            {
                DocumentId = DocumentId,
                Reducer = Reducer,
                Directory = _directory,
                FsyncOnAppend = false,
            });
    }
}
