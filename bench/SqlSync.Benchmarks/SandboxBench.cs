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
        ("page check (flush per mutation) only", SandboxHooks.PageCheck),
        ("commit hook only", SandboxHooks.CommitHook),
    };

    public static string Run(int ops, int rounds, Action<string>? log = null)
    {
        var scenarios = new (string Name, Func<int, double> Trial)[]
        {
            ("local Mutate", LocalMutateBench.LocalMemoryTrial),
            ("coordinator StepAll(256)", c => CoordinatorBench.Trial(c, 256, file: false)),
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

        return table.ToString();
    }
}
