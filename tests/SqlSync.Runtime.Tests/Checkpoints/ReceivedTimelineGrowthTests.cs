using SqlSync.Mutations;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// A busy timeline always has entries received and not applied yet, so its journal never empties: what it keeps on disk
/// (and what opening the document scans) must follow what is not applied, not everything the timeline ever sent.
/// </summary>
public sealed class ReceivedTimelineGrowthTests
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public void AReceivedJournalThatNeverEmptiesKeepsItsAppliedEntriesOffTheDisk()
    {
        using var fixture = new CheckpointFixture(fsyncOnAppend: false); // what is kept does not depend on fsync; the steps are faster
        fixture.Apply(new CreateSchema());
        string name = new('x', 2000);
        const int Rows = 3000; // ~6 MB of entries, several times a timeline segment
        fixture.Receive(Enumerable.Range(1, Rows).Select(i => (IMutation)new Insert(i, name, i)).ToArray());
        for (int i = 0; i < Rows - 10; i++)
        {
            Assert.Equal(1, fixture.Coordinator.Step()); // one at a time: ten stay received and unapplied throughout
        }

        string directory = Path.Combine(fixture.Directory, "timelines", fixture.Timeline.ToString());
        long bytes = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes < 3 * global::SqlSync.Documents.JournalFactory.TimelineSegmentBytes, $"{bytes} bytes kept for {Rows - 10} applied entries of ~2 KB");

        fixture.Reopen(); // and nothing the document still needs went with them
        while (fixture.Coordinator.Step() > 0)
        {
        }

        Assert.Equal(Rows, (long)fixture.Coordinator.Query("SELECT count(*) FROM items")[0][0]!);
    }
}
