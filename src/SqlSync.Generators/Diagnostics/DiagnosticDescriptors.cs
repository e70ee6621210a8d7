using Microsoft.CodeAnalysis;

namespace SqlSync.Generators.Diagnostics;

/// <summary>
/// Every diagnostic SqlSync's generator and analyzers report. Ids are stable and never reused; each is
/// listed in AnalyzerReleases.*.md and explained in docs/diagnostics.md, where its help link points.
/// </summary>
internal static partial class DiagnosticDescriptors
{
    public const string UsageCategory = "SqlSync.Usage";
    public const string DeterminismCategory = "SqlSync.Determinism";

    private const string HelpLinkBase = "https://github.com/sqlsync/sqlsync-dotnet/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor MutationSetMustBePartial = Error(
        "SQLSYNC0001", "Mutations class must be partial",
        "Class '{0}' must be declared partial (with every class that contains it) so that SqlSync can generate its mutation records",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationSetMustBeStatic = Error(
        "SQLSYNC0002", "Mutations class must be static",
        "Class '{0}' must be declared static: a mutations class holds only static mutation methods",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationSetMustNotBeGeneric = Error(
        "SQLSYNC0003", "Mutations class must not be generic",
        "Class '{0}' must not be generic or nested in a generic type: a mutation's tag and record must not depend on type arguments",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationMustBeStatic = Error(
        "SQLSYNC0004", "Mutation method must be static",
        "Mutation '{0}' must be static: it may see only its context and its arguments",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationFirstParameterMustBeContext = Error(
        "SQLSYNC0005", "Mutation's first parameter must be the mutation context",
        "The first parameter of mutation '{0}' must be of type 'SqlSync.Mutations.IMutationContext'",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationMustReturnVoid = Error(
        "SQLSYNC0006", "Mutation method must return void",
        "Mutation '{0}' returns '{1}'; a mutation must return void, its effects are its changes to the database",
        UsageCategory);

    public static readonly DiagnosticDescriptor UnsupportedParameterType = Error(
        "SQLSYNC0007", "Mutation parameter type is not supported",
        "Parameter '{0}' of mutation '{1}' has type '{2}', which the mutation codec cannot encode: {3}",
        UsageCategory);

    public static readonly DiagnosticDescriptor DuplicateMutationTag = Error(
        "SQLSYNC0008", "Duplicate mutation tag",
        "Mutation '{0}' has tag 0x{1}, which mutation '{2}' of the same class has too; give one of them another explicit tag",
        UsageCategory);

    public static readonly DiagnosticDescriptor DuplicateMutationName = Error(
        "SQLSYNC0009", "Duplicate mutation name",
        "{0} would generate '{1}', which {2}; rename the method or the conflicting member",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationOutsideMutationSet = Error(
        "SQLSYNC0010", "Mutation method outside a mutations class",
        "Method '{0}' is marked [Mutation] but its class '{1}' is not marked [MutationSet]",
        UsageCategory);

    public static readonly DiagnosticDescriptor MutationMustNotBeGeneric = Error(
        "SQLSYNC0011", "Mutation method must not be generic",
        "Mutation '{0}' must not be generic: a record needs concrete field types",
        UsageCategory);

    public static readonly DiagnosticDescriptor NondeterministicClock = Error(
        "SQLSYNC0012", "Mutation reads the clock",
        "Mutation '{0}' uses '{1}'{2}, which differs on every replica; use '{3}.Now', the time recorded with the mutation",
        DeterminismCategory);

    public static readonly DiagnosticDescriptor NondeterministicGuid = Error(
        "SQLSYNC0013", "Mutation creates a random Guid",
        "Mutation '{0}' uses '{1}'{2}, which differs on every replica; use '{3}.NewGuid()', derived from the mutation's timeline and LSN",
        DeterminismCategory);

    public static readonly DiagnosticDescriptor NondeterministicRandom = Error(
        "SQLSYNC0014", "Mutation uses an unseeded random generator",
        "Mutation '{0}' uses '{1}'{2}, which differs on every replica; use '{3}.NextInt64()', '{3}.NextInt32(min, max)' or '{3}.NextDouble()'",
        DeterminismCategory);

    public static readonly DiagnosticDescriptor NondeterministicEnvironment = Error(
        "SQLSYNC0015", "Mutation reads the machine's environment",
        "Mutation '{0}' uses '{1}'{2}, which differs between machines; pass the value as a mutation argument, or read shared data from the database with '{3}.Query'",
        DeterminismCategory);

    public static readonly DiagnosticDescriptor NondeterministicIo = Error(
        "SQLSYNC0016", "Mutation does file or network I/O",
        "Mutation '{0}' uses '{1}'{2}, whose result differs between machines and runs; pass the data as a mutation argument, or read shared data from the database with '{3}.Query'",
        DeterminismCategory);

    public static readonly DiagnosticDescriptor NondeterministicThreading = Error(
        "SQLSYNC0017", "Mutation uses threads or timers",
        "Mutation '{0}' uses '{1}'{2}; a mutation runs synchronously inside its transaction, so do the work inline with '{3}.Execute' and '{3}.Query'",
        DeterminismCategory);

    private static DiagnosticDescriptor Error(string id, string title, string message, string category) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpLinkBase + id.ToLowerInvariant());
}
