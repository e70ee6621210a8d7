using SqlSync.Testing.Tests.Samples;

namespace SqlSync.Testing.Tests;

/// <summary>
/// The snapshot conventions, in a temporary directory: a change fails with a diff and a received file,
/// accepting is an explicit step that replaces the verified file, a missing snapshot says how to accept.
/// </summary>
[Trait("Category", "Testing")]
public sealed class SnapshotWorkflowTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sqlsync-snapshots-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Verified => Path.Combine(_directory, "Notes.verified.txt");

    private string Received => Path.Combine(_directory, "Notes.received.txt");

    [Fact]
    public void A_missing_snapshot_fails_and_says_how_to_accept_it()
    {
        string text = SampleScenario.Create().Render();

        var failure = Assert.Throws<SnapshotMismatchException>(() => SnapshotAssert.MatchesIn(_directory, text, "Notes"));

        Assert.Contains("No snapshot", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SQLSYNC_ACCEPT_SNAPSHOTS=1", failure.Message, StringComparison.Ordinal);
        Assert.Contains("renaming it to Notes.verified.txt", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Verified));
        Assert.Equal(text, File.ReadAllText(Received));
    }

    [Fact]
    public void A_changed_reducer_fails_with_a_readable_diff_and_writes_the_received_file()
    {
        File.WriteAllText(Verified, SampleScenario.Create().Render());
        string changed = SampleScenario.Create(new ChangedReducer(SampleMutations.Reducer.Instance)).Render();

        var failure = Assert.Throws<SnapshotMismatchException>(() => SnapshotAssert.MatchesIn(_directory, changed, "Notes"));

        Assert.Contains("Snapshot Notes.verified.txt differs", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--- verified\n+++ received\n", failure.Message, StringComparison.Ordinal);
        Assert.Contains("\n-(1, 'İstanbul ılık',", failure.Message, StringComparison.Ordinal);
        Assert.Contains("\n+(1, 'İSTANBUL ıLıK',", failure.Message, StringComparison.Ordinal); // SQLite's upper() is ASCII-only
        Assert.Contains("\n (id, title, created,", failure.Message, StringComparison.Ordinal); // context lines start with a space
        Assert.Equal(changed, File.ReadAllText(Received));
        Assert.NotEqual(changed, File.ReadAllText(Verified)); // never accepted on its own
    }

    [Fact]
    public void Accepting_the_received_files_replaces_the_verified_file()
    {
        File.WriteAllText(Verified, SampleScenario.Create().Render());
        string changed = SampleScenario.Create(new ChangedReducer(SampleMutations.Reducer.Instance)).Render();
        Assert.Throws<SnapshotMismatchException>(() => SnapshotAssert.MatchesIn(_directory, changed, "Notes"));

        IReadOnlyList<string> accepted = ReceivedSnapshots.AcceptAll(_directory);

        Assert.Equal([Verified], accepted);
        Assert.False(File.Exists(Received));
        Assert.Equal(changed, File.ReadAllText(Verified));
        SnapshotAssert.MatchesIn(_directory, changed, "Notes");
    }

    [Fact]
    public void The_accept_switch_overwrites_the_verified_file()
    {
        File.WriteAllText(Verified, "old\n");
        File.WriteAllText(Received, "stale\n");

        SnapshotAssert.Check(_directory, "new", "Notes", "txt", accept: true); // what SQLSYNC_ACCEPT_SNAPSHOTS=1 does

        Assert.Equal("new\n", File.ReadAllText(Verified));
        Assert.False(File.Exists(Received));
    }

    [Fact]
    public void A_match_removes_a_stale_received_file_and_ignores_line_endings()
    {
        File.WriteAllText(Verified, "a\r\nb\r\n");
        File.WriteAllText(Received, "stale\n");

        SnapshotAssert.MatchesIn(_directory, "a\nb", "Notes");

        Assert.False(File.Exists(Received));
    }

    [Fact]
    public void Received_paths_map_to_verified_paths()
    {
        Assert.Equal(Path.Combine("x", "A.B.verified.cs"), ReceivedSnapshots.VerifiedPathFor(Path.Combine("x", "A.B.received.cs")));
        Assert.Throws<ArgumentException>(() => ReceivedSnapshots.VerifiedPathFor("A.verified.cs"));
    }
}
