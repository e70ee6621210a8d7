namespace SqlSync.Generators.CodeFixes;

/// <summary>
/// The equivalence keys of the shipped-mutations contract's code fixes (docs/versioning.md), the ids they fix and
/// the diagnostic property keys they read (declared in SqlSync.Generators, which this assembly must not reference).
/// </summary>
public static class ShippedContractFixIds
{
    /// <summary>Keeps the shipped shape as an [Obsolete] mutation under the shipped tag and gives the changed one a new tag (SQLSYNC0030).</summary>
    public const string KeepShippedShape = "SQLSYNC0030.KeepShippedShape";

    /// <summary>Gives a mutation that reuses a shipped tag a new tag of its own (SQLSYNC0031).</summary>
    public const string UseNewTag = "SQLSYNC0031.UseNewTag";

    /// <summary>Pins the shipped tag explicitly with <c>[Mutation(0x...u)]</c> (SQLSYNC0032).</summary>
    public const string PinShippedTag = "SQLSYNC0032.PinShippedTag";

    /// <summary>Appends the mutation's line to the class's shipped-mutations file (SQLSYNC0034).</summary>
    public const string RecordAsShipped = "SQLSYNC0034.RecordAsShipped";

    internal const string ShippedShapeChanged = "SQLSYNC0030";
    internal const string ShippedTagReused = "SQLSYNC0031";
    internal const string ShippedTagChanged = "SQLSYNC0032";
    internal const string MutationNotShipped = "SQLSYNC0034";

    internal const string ShippedFileProperty = "ShippedFile";
    internal const string ShippedTagProperty = "ShippedTag";
    internal const string ShippedNameProperty = "ShippedName";
    internal const string ShippedParametersProperty = "ShippedParameters";
    internal const string NewTagProperty = "NewTag";
    internal const string LineProperty = "Line";
}
