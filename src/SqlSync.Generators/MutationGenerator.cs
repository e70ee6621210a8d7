using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

/// <summary>
/// Turns every <c>[MutationSet]</c> class into mutation records, a reducer, extension methods and a JSON
/// form. Split by stage: <c>Parser</c> (symbols → <see cref="MutationSetSpec"/>), <c>Emitter</c>
/// (spec → source) and <see cref="DiagnosticDescriptors"/> (the catalog).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class MutationGenerator : IIncrementalGenerator
{
    internal const string MutationSetAttributeName = "SqlSync.Mutations.MutationSetAttribute";
    internal const string MutationAttributeName = "SqlSync.Mutations.MutationAttribute";
    internal const string MutationContextName = "SqlSync.Mutations.IMutationContext";
    internal const string MigrationAttributeName = "SqlSync.Mutations.MigrationAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<MutationSetResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                MutationSetAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, cancellationToken) => Parser.Parse(
                    (INamedTypeSymbol)ctx.TargetSymbol, ctx.SemanticModel.Compilation, cancellationToken))
            .WithTrackingName(TrackingNames.MutationSetResults);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.MutationSetDiagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (DiagnosticInfo diagnostic in list)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        IncrementalValuesProvider<MutationSetSpec> specs = results
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .WithTrackingName(TrackingNames.MutationSetSpecs);
        context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, Emitter.Emit(spec)));

        IncrementalValuesProvider<DiagnosticInfo> strayMutations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                MutationAttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, _) => Parser.CheckMutationOutsideSet((IMethodSymbol)ctx.TargetSymbol))
            .Where(static diagnostic => diagnostic is not null)
            .Select(static (diagnostic, _) => diagnostic!)
            .WithTrackingName(TrackingNames.StrayMutationDiagnostics);
        context.RegisterSourceOutput(strayMutations, static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        InitializeContract(context, results);
    }
}
