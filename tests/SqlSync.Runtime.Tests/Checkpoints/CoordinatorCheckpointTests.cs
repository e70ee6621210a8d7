using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;
using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

public sealed class CoordinatorCheckpointTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ReopeningAfterCompactionReadsTheCheckpointAndTheTailAndGivesTheSameState()
    {
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero);
        fixture.Fill(300);
        fixture.Checkpoint();
        fixture.Fill(40); // a tail after the checkpoint
        var before = fixture.State();

        LsnRange range = fixture.Coordinator.StorageRange;
        Assert.True(range.First.Value > 0, $"the prefix was not dropped: {range}");
        fixture.Reopen();

        Assert.Equal(before, fixture.State());
        Assert.NotNull(fixture.Coordinator.Database.Storage.LoadedCheckpoint);
        Assert.Equal(range.First.Value - 1, fixture.Coordinator.NewestCheckpointLsn!.Value.Value);

        // LSNs go on where they were: never reused after compaction.
        fixture.Fill(1);
        Assert.Equal(before.Next.Next, fixture.Coordinator.StorageRange.Next);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ThePolicyWritesCheckpointsAsTheJournalGrowsAndCompactionKeepsDiskNearTheDatabase()
    {
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero, minJournalBytes: 0, ratio: 2.0);
        fixture.Fill(2_000);
        DateTime deadline = DateTime.UtcNow + Deadline;
        while (fixture.Coordinator.NewestCheckpointLsn is null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        Assert.NotNull(fixture.Coordinator.NewestCheckpointLsn);
        fixture.Checkpoint(); // let a running one end (it may cover an older LSN: the test host's threads are busy)
        fixture.Checkpoint(); // and one of the end
        long databaseBytes = (long)fixture.Coordinator.Database.Storage.CommittedSizeInPages * 4096;
        long storageBytes = new DirectoryInfo(Path.Combine(fixture.Directory, "storage")).EnumerateFiles().Sum(f => f.Length)
            + new DirectoryInfo(fixture.CheckpointDirectory).EnumerateFiles().Sum(f => f.Length);

        // Without compaction 2,000 updates leave ~2,000 entries of 3 pages (~24 MiB); with it, the checkpoint, a
        // tail of at most twice the database and a partly filled 64 KiB segment.
        Assert.True(storageBytes < 4 * databaseBytes + 3 * 64 * 1024 + 4 * 12_400, $"{storageBytes} bytes on disk for a database of {databaseBytes}");
        Assert.True(fixture.CheckpointFiles().Length <= 2);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task StepsGoOnWhileACheckpointIsWritten()
    {
        using var fixture = new CheckpointFixture();
        fixture.Fill(20);
        using var reached = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        fixture.Coordinator.CheckpointFaultInjection = point =>
        {
            if (point == CheckpointWritePoint.MidPages)
            {
                reached.Set();
                release.Wait(Deadline);
            }
        };
        Task checkpoint = fixture.Coordinator.CheckpointAsync();
        Assert.True(reached.Wait(Deadline));
        Lsn covered = fixture.Coordinator.StorageRange.Last;

        fixture.Fill(5); // the checkpoint is half written: steps still apply
        Assert.Equal(covered.Value + 5, fixture.Coordinator.StorageRange.Last.Value);
        release.Set();
        await checkpoint.WaitAsync(Deadline);
        Assert.Equal(covered, fixture.Coordinator.NewestCheckpointLsn);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void AReplicaBehindTheKeptEntriesIsToldTheyWereCompacted()
    {
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero);
        fixture.Fill(50);
        fixture.Checkpoint();

        var error = Assert.Throws<SqlSyncException>(() => fixture.Coordinator.PrepareStorageSync(LsnRange.Empty));
        Assert.Equal(SqlSyncErrorCode.StorageCompacted, error.Code);
        Assert.Null(fixture.Coordinator.PrepareStorageSync(LsnRange.EmptyAt(fixture.Coordinator.StorageRange.Next)));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void WithoutARetentionTheWholeJournalIsKept()
    {
        using var fixture = new CheckpointFixture(retention: null, minJournalBytes: 0);
        fixture.Fill(500);
        fixture.Checkpoint();
        fixture.Fill(10);
        Assert.Equal(Lsn.Zero, fixture.Coordinator.StorageRange.First);
        Assert.NotNull(fixture.Coordinator.PrepareStorageSync(LsnRange.Empty));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void RejectionsAreKeptPerTimelineUpToTheirRetentionNewestFirst()
    {
        using var coordinator = SqlSync.Documents.CoordinatorDocument.Open(new SqlSync.Documents.CoordinatorDocumentOptions
        {
            DocumentId = "rejections",
            Reducer = Support.TestMutations.Reducer,
            RejectionsKeptPerTimeline = 3,
        });
        var timeline = Mutations.TimelineId.New();
        var writer = new Mutations.MutationWriter();
        var entries = new List<ReadOnlyMemory<byte>>();
        foreach (Mutations.IMutation mutation in new Mutations.IMutation[] { new Support.TestMutations.CreateSchema() }
            .Concat(Enumerable.Range(0, 10).Select(i => new Support.TestMutations.Fail("boom " + i))))
        {
            writer.Reset();
            mutation.WriteTo(writer);
            entries.Add(Mutations.TimelineEntry.Encode(1, writer.WrittenSpan));
        }

        coordinator.ReceiveTimeline(timeline, new JournalPartial(LsnRange.Inclusive(Lsn.Zero, new Lsn(10)), entries));
        coordinator.StepAll(batchSize: 4);

        IReadOnlyList<object?[]> kept = coordinator.Query("SELECT lsn FROM __sqlsync_rejections ORDER BY lsn");
        Assert.Equal(new long[] { 8, 9, 10 }, kept.Select(r => (long)r[0]!).ToArray());
    }
}
