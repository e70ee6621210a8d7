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
        var writer = new MutationWriter();
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

    /// <summary>
    /// A document that checkpoints more often than its retention still compacts: each checkpoint's retention runs from
    /// its own birth (it used to restart with every new checkpoint, so a busy document kept every entry and every
    /// checkpoint file for good). The attack review's finding 1.
    /// </summary>
    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ABusyDocumentThatCheckpointsMoreOftenThanItsRetentionStillCompacts()
    {
        var retention = TimeSpan.FromMilliseconds(300);
        using var fixture = new CheckpointFixture(retention: retention);
        fixture.Fill(50);
        fixture.Checkpoint();
        Lsn firstCheckpoint = fixture.Coordinator.NewestCheckpointLsn!.Value;
        int written = 1;
        DateTime deadline = DateTime.UtcNow + Deadline;
        bool compactedDuringTheStream = false;
        while (DateTime.UtcNow < deadline)
        {
            // Steady writes, a checkpoint after each: far more often than the retention.
            fixture.Fill(5);
            fixture.Checkpoint();
            written++;
            if (fixture.Coordinator.StorageRange.First > firstCheckpoint.Next)
            {
                compactedDuringTheStream = true; // a checkpoint written during the stream was compacted to
                break;
            }
        }

        Assert.True(compactedDuringTheStream, $"no compaction during {written} checkpoints: storage {fixture.Coordinator.StorageRange}");
        Assert.True(fixture.CheckpointFiles().Length < written, $"{fixture.CheckpointFiles().Length} checkpoint files kept of {written} written");
        var before = fixture.State();
        fixture.Reopen();
        Assert.Equal(before, fixture.State());
    }
}
