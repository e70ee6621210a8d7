namespace SqlSync.Orleans.Tests;

/// <summary>
/// The example's run alone, after the other classes: it starts four processes of its own, and on a small machine the
/// in-process clusters of the other tests beside it would only stretch both past their deadlines.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterExampleRunsAlone
{
    public const string Name = "examples/Cluster";
}
