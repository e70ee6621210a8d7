namespace SqlSync.Server.Tests;

/// <summary>
/// Tests that measure this process's managed heap run alone: the servers of tests running alongside would
/// allocate into the same heap.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Measures the process's memory";
}
