using SqlSync.Runtime.Tests.Convergence;
using Xunit;
using Xunit.Abstractions;

namespace SqlSync.Storage.Azure;

/// <summary>
/// The convergence property (docs/convergence-tests.md) with the coordinator's journals, checkpoints and notes as blobs
/// in Azurite, every restart on an empty local disk: seeded schedules with offline clients, reordered and duplicated
/// deliveries, restarts, checkpoints and compactions end with every replica byte-identical to the coordinator and to a
/// serial replay of its order. A few seeds for CI time (<c>SQLSYNC_BLOB_CONVERGENCE_SEEDS=N</c> runs more).
/// </summary>
[Trait("Category", "ObjectStorage")]
public sealed class BlobConvergenceTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public void Random_schedules_on_blob_journals_converge()
    {
        int seeds = int.TryParse(Environment.GetEnvironmentVariable("SQLSYNC_BLOB_CONVERGENCE_SEEDS"), out int n) ? n : 3;
        var failures = new List<string>();
        var totals = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int seed = 1; seed <= seeds && failures.Count == 0; seed++)
        {
            using var simulation = new ConvergenceSimulation(seed, 60, checkpoints: true, new BlobJournalStore(azurite.NewContainer(), "convergence/"));
            List<string> problems = simulation.Run();
            foreach (KeyValuePair<string, int> counter in simulation.Counters)
            {
                totals[counter.Key] = totals.GetValueOrDefault(counter.Key) + counter.Value;
            }

            if (problems.Count > 0)
            {
                failures.Add($"seed {seed}:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems.Take(20))}{Environment.NewLine}Last actions:{Environment.NewLine}{simulation.Trace}");
            }
        }

        foreach (KeyValuePair<string, int> total in totals)
        {
            output.WriteLine($"  {total.Key}: {total.Value}");
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.True(totals.GetValueOrDefault("coordinator restarts") > 0, "the coordinator never moved to an empty disk");
    }
}
