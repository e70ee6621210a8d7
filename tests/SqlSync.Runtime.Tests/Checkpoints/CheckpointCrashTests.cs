using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;
using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

public sealed class CheckpointCrashTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    public static TheoryData<string> Points() => new(Enum.GetNames<CheckpointWritePoint>());

    [Theory]
    [Trait("Category", "Checkpoint")]
    [MemberData(nameof(Points))]
    public void ACrashAtAnyPointOfCheckpointingAndCompactingReopensToTheSameState(string pointName)
    {
        CheckpointWritePoint point = Enum.Parse<CheckpointWritePoint>(pointName);
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero);
        fixture.Fill(100);
        fixture.Checkpoint(); // an earlier checkpoint, compacted
        fixture.Fill(100);
        var before = fixture.State();

        fixture.Coordinator.CheckpointFaultInjection = p =>
        {
            if (p == point)
            {
                throw new IOException($"simulated crash at {p}");
            }
        };
        var failure = Assert.ThrowsAny<Exception>(() => fixture.Coordinator.CheckpointAsync().Wait(Deadline));
        Assert.Contains(point.ToString(), failure.ToString());
        fixture.Reopen();

        Assert.Equal(before, fixture.State());
        Assert.DoesNotContain(fixture.CheckpointFiles(), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        fixture.Fill(10); // and it goes on
        fixture.Checkpoint();
        var after = fixture.State();
        fixture.Reopen();
        Assert.Equal(after, fixture.State());
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ATemporaryFileLeftByACrashIsDeletedAtOpenAndNeverRead()
    {
        using var fixture = new CheckpointFixture();
        fixture.Fill(20);
        var before = fixture.State();
        fixture.Coordinator.Dispose();
        File.WriteAllBytes(Path.Combine(fixture.CheckpointDirectory, "00000000000000000099.ckpt.tmp"), new byte[100]);
        fixture.Reopen();
        Assert.Equal(before, fixture.State());
        Assert.Empty(fixture.CheckpointFiles());
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACorruptNewestCheckpointFallsBackToThePreviousOneAndTheJournalWithAWarningNamingIt()
    {
        using var fixture = new CheckpointFixture(retention: null); // nothing dropped: the previous checkpoint stays
        fixture.Fill(100);
        fixture.Checkpoint();
        fixture.Fill(100);
        fixture.Checkpoint();
        fixture.Fill(5);
        var before = fixture.State();
        string[] files = fixture.CheckpointFiles();
        Assert.Equal(2, files.Length);
        fixture.Coordinator.Dispose();
        Corrupt(Path.Combine(fixture.CheckpointDirectory, files[1]));

        fixture.Reopen();
        Assert.Equal(before, fixture.State());
        Assert.Equal(files[0], Path.GetFileName(PathOfLoaded(fixture)));
        Assert.Contains(fixture.Warnings, w => w.Contains("checkpoints/" + files[1], StringComparison.Ordinal) && w.Contains("corrupt", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACorruptCheckpointWithNothingToFallBackOnIsAClearErrorNamingTheFile()
    {
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero);
        fixture.Fill(100);
        fixture.Checkpoint();
        fixture.Fill(5);
        string file = Assert.Single(fixture.CheckpointFiles());
        fixture.Coordinator.Dispose();
        Corrupt(Path.Combine(fixture.CheckpointDirectory, file));

        var error = Assert.Throws<SqlSyncException>(() => fixture.Open().Dispose());
        Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, error.Code);
        Assert.Contains("checkpoints/" + file, error.Message);
        Assert.DoesNotContain(fixture.Directory, error.Message); // no server path
    }

    private static string PathOfLoaded(CheckpointFixture fixture) =>
        fixture.Coordinator.Database.Storage.LoadedCheckpoint is { } header
            ? header.Lsn.Value.ToString("D20") + ".ckpt" : "(none)";

    private static void Corrupt(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[4096 + 2000] ^= 0x01; // inside page 1
        File.WriteAllBytes(path, bytes);
    }
}
