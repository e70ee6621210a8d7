namespace SqlSync.Generators.CodeFixes;

/// <summary>
/// The equivalence keys of SqlSync's code fixes (stable; listed in docs/diagnostics.md), and the ids of the
/// diagnostics they fix (declared in SqlSync.Generators, which this assembly must not reference).
/// </summary>
public static class CodeFixIds
{
    /// <summary>Adds <c>partial</c> to a mutations class and every class containing it (SQLSYNC0001).</summary>
    public const string MakePartial = "SQLSYNC0001.MakePartial";

    /// <summary>Replaces <c>DateTime.Now/UtcNow</c> or <c>DateTimeOffset.Now/UtcNow</c> with <c>context.Now</c> (SQLSYNC0012).</summary>
    public const string UseContextNow = "SQLSYNC0012.UseContextNow";

    /// <summary>Replaces <c>Guid.NewGuid()</c> with <c>context.NewGuid()</c> (SQLSYNC0013).</summary>
    public const string UseContextNewGuid = "SQLSYNC0013.UseContextNewGuid";

    internal const string MutationSetMustBePartial = "SQLSYNC0001";
    internal const string NondeterministicClock = "SQLSYNC0012";
    internal const string NondeterministicGuid = "SQLSYNC0013";
}
