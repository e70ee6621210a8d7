using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SqlSync.Generators.Diagnostics;

/// <summary>
/// Reports, inside a <c>[Mutation]</c> method (its lambdas and local functions included), uses of APIs
/// whose results differ between replicas (<see cref="NondeterministicApis"/>), and calls to methods of the
/// same compilation that use one, however deep (<see cref="SourceCallGraph"/>): those are reported at the
/// call site in the mutation, with the chain of calls. Each message names what to use instead, with the
/// name the mutation gives its context parameter.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NondeterminismAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NondeterministicClock,
        DiagnosticDescriptors.NondeterministicGuid,
        DiagnosticDescriptors.NondeterministicRandom,
        DiagnosticDescriptors.NondeterministicEnvironment,
        DiagnosticDescriptors.NondeterministicIo,
        DiagnosticDescriptors.NondeterministicThreading);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            INamedTypeSymbol? mutationAttribute = start.Compilation.GetTypeByMetadataName("SqlSync.Mutations.MutationAttribute");
            INamedTypeSymbol? mutationContext = start.Compilation.GetTypeByMetadataName(MutationGenerator.MutationContextName);
            INamedTypeSymbol? migrationAttribute = start.Compilation.GetTypeByMetadataName("SqlSync.Mutations.MigrationAttribute"); // migrations are deterministic too
            if (mutationAttribute is null)
            {
                return;
            }

            var callGraph = new SourceCallGraph(start.Compilation);
            start.RegisterOperationBlockStartAction(block =>
            {
                if (block.OwningSymbol is not IMethodSymbol method
                    || !method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, mutationAttribute)
                        || SymbolEqualityComparer.Default.Equals(a.AttributeClass, migrationAttribute)))
                {
                    return;
                }

                var mutation = new MutationNames(
                    method.ContainingType.Name + "." + method.Name,
                    method.Parameters.FirstOrDefault(p => SymbolEqualityComparer.Default.Equals(p.Type, mutationContext))?.Name ?? "context");
                block.RegisterOperationAction(
                    operation => Analyze(operation, mutation, callGraph),
                    OperationKind.Invocation, OperationKind.PropertyReference, OperationKind.FieldReference,
                    OperationKind.ObjectCreation, OperationKind.MethodReference, OperationKind.EventReference);
            });
        });
    }

    // Every descriptor NondeterministicApis returns is one of the six in SupportedDiagnostics.
#pragma warning disable RS1005
    private static void Analyze(OperationAnalysisContext context, MutationNames mutation, SourceCallGraph callGraph)
    {
        Location location = context.Operation.Syntax.GetLocation();
        if (NondeterministicApis.Find(context.Operation) is { } use)
        {
            context.ReportDiagnostic(Diagnostic.Create(use.Descriptor, location, mutation.Mutation, use.Display, "", mutation.Context));
        }

        foreach (IMethodSymbol callee in SourceCallGraph.CalleesOf(context.Operation))
        {
            foreach (ReachedUse reached in callGraph.UsesReachedFrom(callee, context.CancellationToken))
            {
                context.ReportDiagnostic(Diagnostic.Create(reached.Descriptor, location, mutation.Mutation, reached.Display,
                    $" through '{reached.Chain}'", mutation.Context));
            }
        }
    }

#pragma warning restore RS1005

    private sealed class MutationNames
    {
        public MutationNames(string mutation, string context)
        {
            Mutation = mutation;
            Context = context;
        }

        /// <summary>"Class.Method".</summary>
        public string Mutation { get; }

        /// <summary>The name of the mutation's <c>IMutationContext</c> parameter.</summary>
        public string Context { get; }
    }
}
