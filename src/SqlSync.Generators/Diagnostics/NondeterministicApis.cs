using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SqlSync.Generators.Diagnostics;

/// <summary>
/// The catalog of APIs whose results differ between replicas (the clock, <c>Guid.NewGuid</c>, <c>Random</c>,
/// the environment, file and network I/O, threads and timers), and how a reference to one is shown.
/// </summary>
internal static class NondeterministicApis
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

    /// <summary>The member an operation refers to (a call, a property, field or event, a constructor, a method group), or null.</summary>
    public static ISymbol? MemberOf(IOperation operation) => operation switch
    {
        IInvocationOperation invocation => invocation.TargetMethod,
        IMemberReferenceOperation reference => reference.Member,
        IObjectCreationOperation creation => creation.Constructor,
        _ => null,
    };

    /// <summary>
    /// The descriptor for a nondeterministic reference and its display ("DateTime.Now", "Random constructor"),
    /// or null. <c>Random.Shared.Next()</c> is one misuse, not two: only the outermost of a chain is reported.
    /// </summary>
    public static (DiagnosticDescriptor Descriptor, string Display)? Find(IOperation operation)
    {
        ISymbol? member = MemberOf(operation);
        if (member?.ContainingType is not { } type || Classify(type, member) is not { } descriptor || IsNestedInReportedReference(operation))
        {
            return null;
        }

        return (descriptor, type.Name + (member is IMethodSymbol { MethodKind: MethodKind.Constructor } ? " constructor" : "." + member.Name));
    }

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
