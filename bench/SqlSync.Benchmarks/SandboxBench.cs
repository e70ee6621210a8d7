using System.Globalization;
using SqlSync.Storage;

namespace SqlSync.Benchmarks;

/// <summary>
/// The cost of the reducer sandbox on single-row mutations (<c>engine-sandbox</c>): local <c>Mutate</c> and
/// coordinator <c>StepAll(256)</c>, memory journals, with every hook, with none, and with each one off in
/// turn; rounds interleave the variants. Reports the median rate and each variant's cost against "none".
/// </summary>
internal static class SandboxBench
{
    private static readonly (string Name, SandboxHooks Hooks)[] Variants =
    {
        ("all hooks (default)", SandboxHooks.All),
        ("none", SandboxHooks.None),
        ("authorizer only", SandboxHooks.Authorizer),
        ("progress handler only", SandboxHooks.ProgressHandler),
        ("page check (exact page budget) only", SandboxHooks.PageCheck),
        ("commit hook only", SandboxHooks.CommitHook),
    };

    public static string Run(int ops, int rounds, Action<string>? log = null)
    {
        var scenarios = new (string Name, Func<int, double> Trial)[]
        {
            ("local Mutate", LocalMutateBench.LocalMemoryTrial),
            ("coordinator StepAll(256)", c => CoordinatorBench.Trial(c * 4, 256, file: false)),
        };
        var table = new System.Text.StringBuilder();
        table.AppendLine("| Scenario | Sandbox | median ops/s | cost vs none |");
        table.AppendLine("|---|---|---:|---:|");
        foreach ((string scenario, Func<int, double> trial) in scenarios)
        {
            var rows = new Rounds();
            foreach ((string name, SandboxHooks hooks) in Variants)
            {
                rows.Add(name, () =>
                {
                    ReducerSandbox.Hooks = hooks;
                    try
                    {
                        return trial(ops);
                    }
                    finally
                    {
                        ReducerSandbox.Hooks = SandboxHooks.All;
                    }
                });
            }

            Dictionary<string, Samples> results = rows.Run(1, rounds, log);
            foreach ((string name, _) in Variants)
            {
                double cost = Rounds.Ratio(results["none"], results[name]).Median - 1;
                table.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {name} | {results[name].Median:N0} | {cost:+0.0%;-0.0%} |");
            }
        }

        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"A runaway query (a recursive CTE counting to 10^18) stopped by the default step budget ({Documents.MutationLimits.Default.MaxVmStepsPerMutation:N0} VM steps) after {RunawaySeconds():0.00} s.");
        return table.ToString();
    }

    /// <summary>Wall time until the default budget stops a runaway query in a local mutation.</summary>
    private static double RunawaySeconds()
    {
        using Documents.LocalDocument document = LocalMutateBench.OpenLocal(null);
        document.Mutate(new BenchMutations.CreateTable());
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            document.Mutate(new BenchMutations.Runaway());
        }
        catch (SqlSyncException ex) when (ex.InnerException is SqlSyncException { Code: SqlSyncErrorCode.MutationOverBudget })
        {
            return stopwatch.Elapsed.TotalSeconds;
        }

        throw new InvalidOperationException("The runaway query was not stopped.");
    }
}
