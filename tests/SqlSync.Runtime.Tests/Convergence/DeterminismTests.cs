using SqlSync.Documents;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>SQLite's and the context's sources of nondeterminism give the same values on every replica and run.</summary>
public sealed class DeterminismTests
{
    private static readonly TimelineId s_timeline = TimelineId.Parse("0123456789abcdef0123456789abcdef");
    private static readonly DateTimeOffset s_now = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);

    [Fact]
    [Trait("Category", "Convergence")]
    public void InsertNondeterministicGivesIdenticalFactsOnClientAndCoordinatorAndAcrossRuns()
    {
        Run first = RunOnce();
        Run second = RunOnce();

        Assert.Equal(first.ClientBeforeSync, first.Coordinator);
        Assert.Equal(first.ClientBeforeSync, first.ClientAfterSync);
        Assert.Equal(first.ClientBeforeSync, second.ClientBeforeSync);
        Assert.Equal(first.Coordinator, second.Coordinator);
        Assert.Equal(first.ClientAfterSync, second.ClientAfterSync);
    }

    private static Run RunOnce()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: false);
        // The same inputs: the same timeline id (a local document keeps it in timeline.id) and the same clock.
        File.WriteAllText(Path.Combine(directory.Path, "timeline.id"), s_timeline.ToString());
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = "determinism",
            Reducer = Reducer,
            FsyncOnAppend = false,
        });
        using var client = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "determinism",
            Reducer = Reducer,
            Directory = directory.Path,
            FsyncOnAppend = false,
            TimeProvider = new FixedTimeProvider(s_now),
        });
        Assert.Equal(s_timeline, client.TimelineId);

        client.Mutate(new CreateSchema());
        for (long id = 1; id <= 5; id++)
        {
            client.Mutate(new InsertNondeterministic(id));
        }

        List<object?[]> before = Facts(client.Query);
        SyncDriver.Full(client, coordinator);
        Assert.Equal(0, client.PendingMutationCount);
        List<object?[]> onCoordinator = Facts(coordinator.Query);
        List<object?[]> after = Facts(client.Query);

        // The values are really drawn: distinct per row, of the right shape, and the clock is the mutation's.
        Assert.Equal(5, before.Count);
        Assert.Equal(5, before.Select(r => r[1]).Distinct().Count());
        Assert.Equal(5, before.Select(r => r[2]).Distinct().Count());
        Assert.Equal(5, before.Select(r => r[3]).Distinct().Count());
        Assert.All(before, r => Assert.Equal(16, Assert.IsType<byte[]>(r[4]).Length));
        Assert.All(before, r => Assert.Equal("2024-05-06 07:08:09", r[5]));
        Assert.All(before, r => Assert.Contains("2024-05-06", Assert.IsType<string>(r[6]), StringComparison.Ordinal));
        Assert.All(before, r => Assert.InRange(Assert.IsType<double>(r[7]), 0.0, 1.0));

        return new Run(Format(before), Format(onCoordinator), Format(after));
    }

    private static List<object?[]> Facts(Func<string, object?[], IReadOnlyList<object?[]>> query) =>
        query("SELECT id, guid, r1, r2, blob, now_text, ctx_now, dbl FROM facts ORDER BY id", Array.Empty<object?>()).ToList();

    private static List<string> Format(List<object?[]> rows) => rows.Select(DocumentState.Format).ToList();

    private sealed record Run(List<string> ClientBeforeSync, List<string> Coordinator, List<string> ClientAfterSync);

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
