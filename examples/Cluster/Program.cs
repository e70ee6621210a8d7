using Cluster;

// dotnet run --project examples/Cluster              three silos on Azurite, todo clients, one silo killed, convergence
// dotnet run --project examples/Cluster -- --verbose the same, with every silo's log lines
// (--silo is how the orchestrator starts each silo process: see SiloServer.cs)
try
{
    if (args.Length > 0 && args[0] == "--silo")
    {
        return await SiloServer.RunAsync(args.AsSpan(1).ToArray());
    }

    if (args.Any(a => a is "-h" or "--help"))
    {
        Console.WriteLine("usage: dotnet run --project examples/Cluster [-- [--verbose] [--timeout SECONDS] [--clients N] [--lists N] [--rounds N]]");
        Console.WriteLine("  Starts Azurite (blob + table), three silo processes, todo clients on all of them, kills one silo");
        Console.WriteLine("  mid-run and waits until every replica converged. Exit code 0 when it did, 1 when not, 130 on Ctrl+C.");
        Console.WriteLine("  Needs Azurite: npm ci --prefix eng/azurite (Node.js and npm).");
        return 0;
    }

    return await Orchestrator.RunAsync(OrchestratorOptions.Parse(args));
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"cluster: {ex.Message}");
    return 2;
}
