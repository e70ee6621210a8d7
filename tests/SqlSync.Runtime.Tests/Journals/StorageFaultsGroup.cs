using Xunit;

namespace SqlSync.Journals;

/// <summary>Tests that set the process-wide <see cref="StorageFaults.Inject"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StorageFaultsGroup
{
    public const string Name = "StorageFaults";
}
