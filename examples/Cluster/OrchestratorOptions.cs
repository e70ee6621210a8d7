using System.Globalization;

namespace Cluster;

/// <summary>What the orchestrator runs: the defaults make a run of about a minute on a small machine.</summary>
internal sealed record OrchestratorOptions
{
    /// <summary>Silo processes; one of them is killed mid-run.</summary>
    public int Silos { get; init; } = 3;

    /// <summary>Todo clients, each with its own replica of every list, spread over the silos by the balancer.</summary>
    public int Clients { get; init; } = 6;

    /// <summary>Todo lists (documents), each a grain somewhere in the cluster.</summary>
    public int Lists { get; init; } = 3;

    /// <summary>Rounds of edits; in each, every client edits every list.</summary>
    public int Rounds { get; init; } = 12;

    /// <summary>The silo dies after this round, while the clients go on editing.</summary>
    public int KillAfterRound { get; init; } = 4;

    /// <summary>The whole run's deadline, Azurite and silo start-up included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>Print every silo's log lines (otherwise they are shown only when the run fails).</summary>
    public bool Verbose { get; init; }

    public static OrchestratorOptions Parse(string[] args)
    {
        var options = new OrchestratorOptions();
        for (int i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--verbose" => options with { Verbose = true },
                "--timeout" => options with { Timeout = TimeSpan.FromSeconds(Number(args, ++i, "--timeout")) },
                "--clients" => options with { Clients = Number(args, ++i, "--clients") },
                "--lists" => options with { Lists = Number(args, ++i, "--lists") },
                "--rounds" => options with { Rounds = Number(args, ++i, "--rounds") },
                _ => throw new ArgumentException($"unknown option '{args[i]}' (--help lists them)"),
            };
        }

        if (options.Rounds <= options.KillAfterRound)
        {
            options = options with { KillAfterRound = options.Rounds / 2 };
        }

        return options;
    }

    private static int Number(string[] args, int index, string name) =>
        index < args.Length && int.TryParse(args[index], NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"{name} needs a positive whole number");
}
