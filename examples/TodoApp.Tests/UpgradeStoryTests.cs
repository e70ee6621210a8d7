using TodoApp.Story;

namespace TodoApp.Tests;

/// <summary>
/// The TodoApp ships version 2 (examples/TodoApp.Story over real Kestrel and WebSockets): version 1 apps offline with
/// edits, the server upgraded, a version 1 app reconnecting, a version 2 app joining, a version 1 app upgraded with
/// edits pending. Every edit has a visible effect on the list, so the exact rows prove that none was lost.
/// </summary>
[Trait("Category", "Versioning")]
public sealed class UpgradeStoryTests
{
    private const string ExpectedRows = """
             1. [x] milk             due 2026-12-24  priority 0
             2. [ ] sourdough bread  due -           priority 0
             3. [ ] eggs             due -           priority 2
             4. [ ] tea              due -           priority 0
             5. [ ] file taxes       due 2027-04-15  priority 3
             6. [ ] coffee           due -           priority 1
             7. [ ] apples           due -           priority 0

        """;

    [Fact]
    public async Task EveryReplicaConvergesAndNoMutationIsLostAcrossTheUpgrade()
    {
        using var log = new StringWriter();
        StoryResult result = await UpgradeStory.RunAsync(log);

        Assert.True(result.Converged, log.ToString());
        Assert.Equal(["alice", "bob", "carol", "server"], result.Rows.Keys.Order(StringComparer.Ordinal));
        foreach ((string replica, string rows) in result.Rows)
        {
            Assert.True(ExpectedRows.ReplaceLineEndings("\n") == rows, $"{replica}'s list:\n{rows}\nexpected:\n{ExpectedRows}");
        }

        Assert.Single(result.Checksums.Values.Distinct());
        Assert.Equal(13, result.MutationsWritten);
        Assert.Equal(0, result.Pending);
        Assert.Equal(0, result.Rejected);
        Assert.Equal(2, result.ServerSchemaVersion);
        Assert.Contains("converged: 4 replicas", log.ToString(), StringComparison.Ordinal);
    }
}
