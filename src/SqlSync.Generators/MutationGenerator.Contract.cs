using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    /// <summary>
    /// The shipped-mutations contract: each valid mutations class is checked against its
    /// <c>ClassName.Shipped.txt</c> additional file (docs/versioning.md).
    /// </summary>
    private static void InitializeContract(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<MutationSetResult> results)
    {
        IncrementalValueProvider<ImmutableArray<ShippedFile>> shippedFiles = context.AdditionalTextsProvider
            .Where(static file => ShippedFileReader.IsShippedFile(file.Path))
            .Select(static (file, cancellationToken) => ShippedFileReader.Read(file, cancellationToken))
            .WithTrackingName(TrackingNames.ShippedFiles)
            .Collect();

        IncrementalValuesProvider<EquatableArray<ContractDiagnosticInfo>> diagnostics = results
            .Where(static result => result.Contract is not null)
            .Select(static (result, _) => result.Contract!)
            .Combine(shippedFiles)
            .Select(static (pair, _) => ContractChecker.Check(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.ContractDiagnostics);

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (ContractDiagnosticInfo diagnostic in list)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
    }
}
