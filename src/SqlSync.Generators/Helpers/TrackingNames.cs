namespace SqlSync.Generators.Helpers;

/// <summary>Names of the generator's pipeline steps, so tests can check that each one caches.</summary>
internal static class TrackingNames
{
    public const string MutationSetResults = nameof(MutationSetResults);
    public const string MutationSetSpecs = nameof(MutationSetSpecs);
    public const string MutationSetDiagnostics = nameof(MutationSetDiagnostics);
    public const string StrayMutationDiagnostics = nameof(StrayMutationDiagnostics);
    public const string ShippedFiles = nameof(ShippedFiles);
    public const string ContractDiagnostics = nameof(ContractDiagnostics);

    public static readonly string[] All =
    {
        MutationSetResults,
        MutationSetSpecs,
        MutationSetDiagnostics,
        StrayMutationDiagnostics,
        ShippedFiles,
        ContractDiagnostics,
    };
}
