using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>Tests that measure the whole process's memory run alone, not beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeDocumentGroup
{
    public const string Name = "LargeDocument";
}
