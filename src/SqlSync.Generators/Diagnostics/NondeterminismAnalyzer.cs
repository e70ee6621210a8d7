using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SqlSync.Generators.Diagnostics;

/// <summary>
/// Reports, inside a <c>[Mutation]</c> method (its lambdas and local functions included), uses of APIs
/// whose results differ between replicas: the clock, <c>Guid.NewGuid</c>, <c>Random</c>, the
/// environment, file and network I/O, threads and timers. Each message names what to use instead.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NondeterminismAnalyzer : DiagnosticAnalyzer
{
    private static readonly string[] IoNamespaces = { "System.Net" };

    private static readonly HashSet<string> IoTypes = new()
    {
        "System.IO.File", "System.IO.Directory", "System.IO.FileInfo", "System.IO.DirectoryInfo", "System.IO.FileStream",
        "System.IO.DriveInfo", "System.IO.FileSystemWatcher", "System.IO.StreamReader", "System.IO.StreamWriter",
    };

    private static readonly HashSet<string> IoPathMembers = new() { "GetTempPath", "GetTempFileName", "GetRandomFileName", "GetFullPath" };

    private static readonly HashSet<string> ThreadingTypes = new()
    {
        "System.Threading.Thread", "System.Threading.ThreadPool", "System.Threading.Timer", "System.Timers.Timer",
        "System.Threading.Tasks.Parallel", "System.Threading.Tasks.TaskFactory",
    };

    private static readonly HashSet<string> TaskMembers = new() { "Run", "Delay", "Factory", "Yield", "WhenAny" };

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
            INamedTypeSymbol? migrationAttribute = start.Compilation.GetTypeByMetadataName("SqlSync.Mutations.MigrationAttribute"); // migrations are deterministic too
            if (mutationAttribute is null)
            {
                return;
            }

            start.RegisterOperationBlockStartAction(block =>
            {
                if (block.OwningSymbol is not IMethodSymbol method
                    || !method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, mutationAttribute)
                        || SymbolEqualityComparer.Default.Equals(a.AttributeClass, migrationAttribute)))
                {
                    return;
                }

                string mutationName = method.ContainingType.Name + "." + method.Name;
                block.RegisterOperationAction(
                    operation => AnalyzeReference(operation, mutationName),
                    OperationKind.Invocation, OperationKind.PropertyReference, OperationKind.FieldReference,
                    OperationKind.ObjectCreation, OperationKind.MethodReference, OperationKind.EventReference);
            });
        });
    }

    private static void AnalyzeReference(OperationAnalysisContext context, string mutationName)
    {
        ISymbol? member = context.Operation switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            IMemberReferenceOperation reference => reference.Member,
            IObjectCreationOperation creation => creation.Constructor,
            _ => null,
        };
        if (member?.ContainingType is not { } type)
        {
            return;
        }

        DiagnosticDescriptor? descriptor = Classify(type, member);
        if (descriptor is null || IsNestedInReportedReference(context.Operation))
        {
            return;
        }

        string display = type.Name + (member is IMethodSymbol { MethodKind: MethodKind.Constructor } ? " constructor" : "." + member.Name);
        context.ReportDiagnostic(Diagnostic.Create(descriptor, context.Operation.Syntax.GetLocation(), mutationName, display));
    }

    /// <summary>
    /// <c>Random.Shared.Next()</c> is one misuse, not two: a reference whose instance is itself a reported
    /// reference of the same kind (a member access chain) is reported once, at the outermost operation.
    /// </summary>
    private static bool IsNestedInReportedReference(IOperation operation) =>
        operation.Parent is IMemberReferenceOperation or IInvocationOperation
        && operation.Parent switch
        {
            IInvocationOperation invocation => invocation.Instance == operation && Classify(invocation.TargetMethod.ContainingType, invocation.TargetMethod) is not null,
            IMemberReferenceOperation reference => reference.Instance == operation && Classify(reference.Member.ContainingType, reference.Member) is not null,
            _ => false,
        };

    private static DiagnosticDescriptor? Classify(INamedTypeSymbol type, ISymbol member)
    {
        string typeName = type.ToDisplayString();
        string name = member.Name;
        switch (typeName)
        {
            case "System.DateTime" when name is "Now" or "UtcNow" or "Today":
            case "System.DateTimeOffset" when name is "Now" or "UtcNow":
            case "System.Diagnostics.Stopwatch":
            case "System.TimeProvider":
                return DiagnosticDescriptors.NondeterministicClock;
            case "System.Guid" when name is "NewGuid" or "CreateVersion7":
                return DiagnosticDescriptors.NondeterministicGuid;
            case "System.Random":
            case "System.Security.Cryptography.RandomNumberGenerator":
                return DiagnosticDescriptors.NondeterministicRandom;
            case "System.Environment":
            case "System.Diagnostics.Process":
                return DiagnosticDescriptors.NondeterministicEnvironment;
            case "System.IO.Path" when IoPathMembers.Contains(name):
                return DiagnosticDescriptors.NondeterministicIo;
            case "System.Threading.Tasks.Task" when TaskMembers.Contains(name):
                return DiagnosticDescriptors.NondeterministicThreading;
        }

        if (IoTypes.Contains(typeName) || IoNamespaces.Any(ns => typeName.StartsWith(ns + ".", System.StringComparison.Ordinal)))
        {
            return DiagnosticDescriptors.NondeterministicIo;
        }

        return ThreadingTypes.Contains(typeName) ? DiagnosticDescriptors.NondeterministicThreading : null;
    }
}
