using SqlSync.Journals;
using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// With <c>FsyncOnAppend</c> off, a checkpoint first makes the entries it covers durable. That fsync runs outside the
/// document's lock (steps go on while the disk is slow), and when it fails no checkpoint is written and the journal
/// refuses further use until the document reopens, with nothing lost.
/// </summary>
[Collection(StorageFaultsGroup.Name)]
public sealed class CheckpointFlushTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task StepsGoOnWhileTheFlushBeforeACheckpointWaitsForTheDisk()
    {
        using var fixture = new CheckpointFixture(fsyncOnAppend: false);
        fixture.Fill(20);
        string storage = Path.Combine(fixture.Directory, "storage") + Path.DirectorySeparatorChar;
        using var reached = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int held = 0;
        StorageFaults.Inject = (path, operation) =>
        {
            if (operation == "flush" && path.StartsWith(storage, StringComparison.Ordinal) && Interlocked.Exchange(ref held, 1) == 0)
            {
                reached.Set();
                release.Wait(Deadline); // a disk that takes its time
            }

            return null;
        };
        try
        {
            Task checkpoint = Task.Run(() => fixture.Coordinator.CheckpointAsync());
            Assert.True(reached.Wait(Deadline), "the checkpoint never flushed the storage journal");
            Lsn covered = fixture.Coordinator.StorageRange.Last;

            await Task.Run(() => fixture.Fill(5)).WaitAsync(TimeSpan.FromSeconds(30)); // times out when steps wait for the fsync
            Assert.False(release.IsSet);
            Assert.Equal(covered.Value + 5, fixture.Coordinator.StorageRange.Last.Value);

            release.Set();
            await checkpoint.WaitAsync(Deadline);
            Assert.Equal(covered, fixture.Coordinator.NewestCheckpointLsn);
        }
        finally
        {
            release.Set();
            StorageFaults.Inject = null;
        }
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AFailedFlushWritesNoCheckpointAndTheReopenedDocumentLosesNothing()
    {
        using var fixture = new CheckpointFixture(fsyncOnAppend: false);
        fixture.Fill(20);
        var before = fixture.State();
        string storage = Path.Combine(fixture.Directory, "storage") + Path.DirectorySeparatorChar;
        StorageFaults.Inject = (path, operation) => operation == "flush" && path.StartsWith(storage, StringComparison.Ordinal)
            ? new IOException("Input/output error", 5) : null;
        try
        {
            var error = await Assert.ThrowsAsync<SqlSyncException>(() => fixture.Coordinator.CheckpointAsync().WaitAsync(Deadline));
            Assert.Equal(SqlSyncErrorCode.JournalIo, error.Code);
        }
        finally
        {
            StorageFaults.Inject = null;
        }

        Assert.Empty(fixture.CheckpointFiles());
        Assert.Null(fixture.Coordinator.NewestCheckpointLsn);
        Assert.Contains(fixture.Warnings, w => w.Contains("flush before the checkpoint", StringComparison.Ordinal));
        fixture.Fill(1); // its step meets the journal that refuses further use: the document pauses, nothing is lost

        fixture.Reopen();
        while (fixture.Coordinator.Step() > 0)
        {
        }

        Assert.Equal(before.Next.Value + 1, fixture.Coordinator.StorageRange.Next.Value);
        fixture.Checkpoint();
        Assert.Equal(before.Next.Value, fixture.Coordinator.NewestCheckpointLsn!.Value.Value);
    }
}
