namespace SqlSync.FirstHour.Tests;

/// <summary>The tests that need the packed packages: one pack for all of them, run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackedPackagesGroup : ICollectionFixture<PackedFeed>
{
    public const string Name = "Packed packages";
}
