using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

public sealed class CoordinatorDocumentTests
{
    private static CoordinatorDocument Open() =>
        CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "coordinator-tests", Reducer = Reducer });

    private static JournalPartial Entries(ulong first, params IMutation[] mutations)
    {
        var entries = new List<ReadOnlyMemory<byte>>();
        var writer = new MutationWriter();
        foreach (IMutation mutation in mutations)
        {
            writer.Reset();
            mutation.WriteTo(writer);
            entries.Add(TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan));
        }

        return new JournalPartial(LsnRange.Inclusive(new Lsn(first), new Lsn(first + (ulong)mutations.Length - 1)), entries);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void DuplicatedAndOverlappingDeliveriesAreAppliedOnce()
    {
        using var coordinator = Open();
        var timeline = TimelineId.New();
        JournalPartial first = Entries(0, new CreateSchema(), new Insert(1, "a", 1), new AddQuantity(1, 10));
        Assert.Equal(new Lsn(3), coordinator.ReceiveTimeline(timeline, first).Next);
        Assert.Equal(new Lsn(3), coordinator.ReceiveTimeline(timeline, first).Next); // duplicate
        coordinator.StepAll();
        JournalPartial overlap = Entries(2, new AddQuantity(1, 10), new AddQuantity(1, 100));
        Assert.Equal(new Lsn(4), coordinator.ReceiveTimeline(timeline, overlap).Next);
        coordinator.ReceiveTimeline(timeline, first);
        coordinator.StepAll();

        Assert.Equal(111L, (long)coordinator.Query("SELECT qty FROM items WHERE id = 1")[0][0]!);
        Assert.Equal(new Lsn(3), coordinator.GetAppliedLsns()[timeline]);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void AGapStopsAtTheGapAndTheClientResendsFromTheReportedRange()
    {
        using var coordinator = Open();
        var timeline = TimelineId.New();
        LsnRange range = coordinator.ReceiveTimeline(timeline, Entries(1, new Insert(1, "a", 1)));
        Assert.True(range.IsEmpty);
        Assert.Equal(Lsn.Zero, range.Next);
        Assert.Equal(0, coordinator.QueuedMutationCount);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void RejectedUnknownAndMalformedMutationsAreRecordedAndTheDocumentGoesOn()
    {
        using var coordinator = Open();
        var timeline = TimelineId.New();
        var entries = new List<ReadOnlyMemory<byte>>
        {
            Entries(0, new CreateSchema()).Entries[0],
            Entries(0, new Fail("boom")).Entries[0],
            TimelineEntry.Encode(1, new byte[] { 0xEF, 0xBE, 0xAD, 0xDE }), // unknown tag
            new byte[] { 9, 9, 9 }, // not a timeline entry at all
            Entries(0, new Insert(7, "still works", 7)).Entries[0],
        };
        coordinator.ReceiveTimeline(timeline, new JournalPartial(LsnRange.Inclusive(Lsn.Zero, new Lsn(4)), entries));
        Assert.Equal(5, coordinator.StepAll(batchSize: 2));

        IReadOnlyList<object?[]> rejections = coordinator.Query("SELECT lsn, error FROM __sqlsync_rejections ORDER BY lsn");
        Assert.Equal(3, rejections.Count);
        Assert.Equal(1L, rejections[0][0]);
        Assert.Contains("boom", (string)rejections[0][1]!);
        Assert.Contains("UnknownMutationTag", (string)rejections[1][1]!);
        Assert.Contains("MalformedMutation", (string)rejections[2][1]!);
        Assert.Equal(7L, (long)coordinator.Query("SELECT qty FROM items WHERE id = 7")[0][0]!);
        Assert.Equal(0L, (long)coordinator.Query("SELECT count(*) FROM items WHERE name = 'doomed'")[0][0]!);
        Assert.Equal(new Lsn(4), coordinator.GetAppliedLsns()[timeline]);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void ATimelineBelongsToItsFirstWriterPrincipalAndSecretAcrossRestarts()
    {
        using var directory = new TempDirectory();
        var options = new CoordinatorDocumentOptions { DocumentId = "owners", Reducer = Reducer, Directory = directory.Path, FsyncOnAppend = false };
        var alice = TimelineId.New();
        var shared = TimelineId.New();
        var aliceSecret = TimelineSecret.New();
        var sharedSecret = TimelineSecret.New();
        Func<bool> write = () => true;
        using (var coordinator = CoordinatorDocument.Open(options))
        {
            Assert.Equal(TimelineClaim.Unclaimed, coordinator.ClaimTimeline(alice, "alice", aliceSecret, mayCreate: null)); // read-only: nothing written
            Assert.False(Directory.Exists(Path.Combine(directory.Path, "owners")));
            Assert.Equal(TimelineClaim.Unclaimed, coordinator.ClaimTimeline(alice, "alice", aliceSecret, () => false)); // a quota refused it
            Assert.Equal(TimelineClaim.Claimed, coordinator.ClaimTimeline(alice, "alice", aliceSecret, write));
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(alice, "alice", aliceSecret, write));
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(alice, "alice", aliceSecret, mayCreate: null));
            Assert.Equal(TimelineClaim.WrongSecret, coordinator.ClaimTimeline(alice, "alice", TimelineSecret.New(), write));
            Assert.Equal(TimelineClaim.OtherPrincipal, coordinator.ClaimTimeline(alice, "bob", aliceSecret, write));
            Assert.Equal(TimelineClaim.OtherPrincipal, coordinator.ClaimTimeline(alice, null, aliceSecret, write)); // anonymous may not use an owned timeline
            Assert.Equal(TimelineClaim.Claimed, coordinator.ClaimTimeline(shared, null, sharedSecret, write)); // anonymous writers claim too
        }

        using (var coordinator = CoordinatorDocument.Open(options))
        {
            Assert.Equal(TimelineClaim.OtherPrincipal, coordinator.ClaimTimeline(alice, "bob", aliceSecret, write));
            Assert.Equal(TimelineClaim.WrongSecret, coordinator.ClaimTimeline(alice, "alice", TimelineSecret.New(), write));
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(alice, "alice", aliceSecret, write));
            Assert.Equal(TimelineClaim.WrongSecret, coordinator.ClaimTimeline(shared, null, TimelineSecret.New(), write));
            Assert.Equal(TimelineClaim.OtherPrincipal, coordinator.ClaimTimeline(shared, "carol", sharedSecret, mayCreate: null)); // a reader adopts nothing
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(shared, "carol", sharedSecret, write)); // its anonymous creator signed in
            Assert.Equal(TimelineClaim.OtherPrincipal, coordinator.ClaimTimeline(shared, null, sharedSecret, write));
        }

        Assert.DoesNotContain(aliceSecret.ToHex(), File.ReadAllText(Path.Combine(directory.Path, "owners", alice.ToString()))); // only its hash is kept
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void AnOwnerRecordOfThePreviousVersionTakesItsPrincipalsNextSecret()
    {
        using var directory = new TempDirectory();
        var options = new CoordinatorDocumentOptions { DocumentId = "legacy", Reducer = Reducer, Directory = directory.Path, FsyncOnAppend = false };
        var timeline = TimelineId.New();
        Directory.CreateDirectory(Path.Combine(directory.Path, "owners"));
        File.WriteAllText(Path.Combine(directory.Path, "owners", timeline.ToString()), "alice"); // version 1: the principal alone
        var secret = TimelineSecret.New();
        using (var coordinator = CoordinatorDocument.Open(options))
        {
            Assert.Equal(TimelineClaim.OtherPrincipal, coordinator.ClaimTimeline(timeline, "bob", secret, () => true));
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(timeline, "alice", secret, mayCreate: null)); // a read-only open binds nothing
            Assert.Equal("alice", File.ReadAllText(Path.Combine(directory.Path, "owners", timeline.ToString())));
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(timeline, "alice", secret, () => true));
            Assert.Equal(TimelineClaim.WrongSecret, coordinator.ClaimTimeline(timeline, "alice", TimelineSecret.New(), () => true));
        }

        using (var coordinator = CoordinatorDocument.Open(options))
        {
            Assert.Equal(TimelineClaim.WrongSecret, coordinator.ClaimTimeline(timeline, "alice", TimelineSecret.New(), () => true));
            Assert.Equal(TimelineClaim.Owned, coordinator.ClaimTimeline(timeline, "alice", secret, () => true));
        }
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void StorageSyncIsSizedByBytes()
    {
        using var coordinator = Open();
        var timeline = TimelineId.New();
        coordinator.ReceiveTimeline(timeline, Entries(0, new CreateSchema(), new Fill(0, 200, 100), new Fill(1000, 200, 100), new Fill(2000, 200, 100)));
        coordinator.StepAll(batchSize: 1);
        JournalPartial all = coordinator.PrepareStorageSync(LsnRange.Empty, long.MaxValue)!;
        JournalPartial small = coordinator.PrepareStorageSync(LsnRange.Empty, 3 * 4096)!;
        Assert.True(all.Range.Count > small.Range.Count);
        Assert.True(small.Range.Count >= 1);
        Assert.Equal(Lsn.Zero, small.Range.First);
        Assert.Null(coordinator.PrepareStorageSync(coordinator.StorageRange));
        var error = Assert.Throws<SqlSyncException>(() => coordinator.PrepareStorageSync(LsnRange.Inclusive(Lsn.Zero, new Lsn(1000))));
        Assert.Equal(SqlSyncErrorCode.SyncMismatch, error.Code);
    }
}
