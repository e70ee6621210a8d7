using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>
/// Seeded random schedules of many clients and a coordinator: every replica ends byte-identical to the
/// coordinator and equal to a serial replay of the coordinator's order.
/// </summary>
/// <remarks>
/// CI runs seeds 1..<see cref="DefaultSeedCount"/>. <c>SQLSYNC_CONVERGENCE_SEEDS=N</c> runs N seeds from
/// <c>SQLSYNC_CONVERGENCE_FIRST_SEED</c> (default 1), <c>SQLSYNC_CONVERGENCE_SEED=K</c> runs seed K alone, <c>SQLSYNC_CONVERGENCE_MUTATIONS=M</c> gives each
/// client M (+0..49) mutations instead of <see cref="DefaultMutationsPerClient"/>.
/// </remarks>
public sealed class ConvergenceTests
{
    public const int DefaultSeedCount = 100;
    public const int DefaultMutationsPerClient = 200;

    private readonly ITestOutputHelper _output;

    public ConvergenceTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    [Trait("Category", "Convergence")]
    public void RandomSchedulesConvergeToTheSerialReplayOfTheCoordinatorsOrder()
    {
        IReadOnlyList<int> seeds = Seeds();
        int mutations = EnvInt("SQLSYNC_CONVERGENCE_MUTATIONS") ?? DefaultMutationsPerClient;
        var failures = new List<string>();
        var totals = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        foreach (int seed in seeds)
        {
            string? failure = RunSeed(seed, mutations, totals);
            if (failure is not null)
            {
                failures.Add(failure);
                if (failures.Count >= 3)
                {
                    break; // enough to debug; the first failing seed is what matters
                }
            }
        }

        _output.WriteLine($"{seeds.Count} seed(s) from {seeds[0]}, {mutations}+ mutations per client, {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (KeyValuePair<string, int> total in totals)
        {
            _output.WriteLine($"  {total.Key}: {total.Value}");
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void RandomSchedulesWithCheckpointsCompactionAndLateJoinersConverge()
    {
        int count = EnvInt("SQLSYNC_CHECKPOINT_SEEDS") ?? 12;
        var failures = new List<string>();
        var totals = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int seed = 1; seed <= count && failures.Count < 3; seed++)
        {
            if (RunSeed(seed, 120, totals, checkpoints: true) is { } failure)
            {
                failures.Add(failure);
            }
        }

        foreach (KeyValuePair<string, int> total in totals)
        {
            _output.WriteLine($"  {total.Key}: {total.Value}");
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures));
        Assert.True(totals.GetValueOrDefault("joins from a checkpoint") > 0, "no client ever joined from a checkpoint");
        Assert.True(totals.GetValueOrDefault("coordinator crashes while checkpointing") > 0, "no crash while checkpointing");
    }

    [Fact]
    [Trait("Category", "ObjectStorage")]
    public void RandomSchedulesOnAJournalStoreWithRestartsOnEmptyDisksConverge()
    {
        var totals = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int seed = 1; seed <= (EnvInt("SQLSYNC_STORE_SEEDS") ?? 6); seed++)
        {
            // the first failing seed is what matters: its message says how to run it alone
            Assert.Null(RunSeed(seed, 120, totals, checkpoints: true, new SqlSync.Journals.MemoryJournalStore()));
        }

        Assert.True(totals.GetValueOrDefault("coordinator restarts") > 0, "the coordinator never moved to an empty disk");
        Assert.True(totals.GetValueOrDefault("joins from a checkpoint") > 0, "no client ever joined from a checkpoint in the store");
    }

    private static string? RunSeed(int seed, int mutations, SortedDictionary<string, int> totals, bool checkpoints = false, SqlSync.Journals.IJournalStore? store = null)
    {
        using var simulation = new ConvergenceSimulation(seed, mutations, checkpoints, store);
        List<string> problems;
        try
        {
            problems = simulation.Run();
        }
        catch (Exception ex)
        {
            problems = new List<string> { "the run threw: " + ex };
        }

        foreach (KeyValuePair<string, int> counter in simulation.Counters)
        {
            totals[counter.Key] = totals.GetValueOrDefault(counter.Key) + counter.Value;
        }

        if (problems.Count == 0)
        {
            return null;
        }

        var message = new StringBuilder();
        message.AppendLine(CultureInfo.InvariantCulture, $"Convergence seed {seed} failed ({mutations}+ mutations per client).");
        message.AppendLine(CultureInfo.InvariantCulture,
            $"Re-run it alone: SQLSYNC_CONVERGENCE_SEED={seed} SQLSYNC_CONVERGENCE_MUTATIONS={mutations} dotnet test tests/SqlSync.Runtime.Tests --filter \"Category=Convergence\"");
        foreach (string problem in problems.Take(20))
        {
            message.AppendLine("  - " + problem);
        }

        if (problems.Count > 20)
        {
            message.AppendLine(CultureInfo.InvariantCulture, $"  ... and {problems.Count - 20} more");
        }

        message.AppendLine("Last actions:");
        message.AppendLine(simulation.Trace);
        return message.ToString();
    }

    private static IReadOnlyList<int> Seeds()
    {
        if (EnvInt("SQLSYNC_CONVERGENCE_SEED") is int one)
        {
            return new[] { one };
        }

        int count = EnvInt("SQLSYNC_CONVERGENCE_SEEDS") ?? DefaultSeedCount;
        int first = EnvInt("SQLSYNC_CONVERGENCE_FIRST_SEED") ?? 1;
        return Enumerable.Range(first, count).ToArray();
    }

    private static int? EnvInt(string name)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidOperationException($"{name}='{text}' is not an integer.");
    }
}
