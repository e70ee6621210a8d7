using Microsoft.CodeAnalysis;

namespace SqlSync.Generators.Diagnostics;

/// <summary>The shipped-mutations contract (docs/versioning.md): ids SQLSYNC0030 to SQLSYNC0039.</summary>
internal static partial class DiagnosticDescriptors
{
    public const string VersioningCategory = "SqlSync.Versioning";

    public static readonly DiagnosticDescriptor ShippedShapeChanged = Error(
        "SQLSYNC0030", "Shipped mutation changed its encoded shape",
        "Mutation '{0}' has tag 0x{1}, which shipped with the encoded shape {2}; it now encodes {3}, so records of it already in journals would no longer decode. Keep the shipped shape as an [Obsolete] mutation under tag 0x{1} and give the new shape a new tag.",
        VersioningCategory);

    public static readonly DiagnosticDescriptor ShippedTagReused = Error(
        "SQLSYNC0031", "Shipped tag reused by another mutation",
        "Mutation '{0}' has tag 0x{1}, which shipped for mutation '{2}' with the encoded shape {3}; records of '{2}' in journals would be decoded as '{0}'. Give '{0}' another tag.",
        VersioningCategory);

    public static readonly DiagnosticDescriptor ShippedTagChanged = Error(
        "SQLSYNC0032", "Shipped mutation changed its tag",
        "Mutation '{0}' shipped with tag 0x{1} but its tag is now 0x{2} ({3}); records of it already in journals carry 0x{1}. Pin the shipped tag with [Mutation(0x{1}u)].",
        VersioningCategory);

    public static readonly DiagnosticDescriptor ShippedMutationRemoved = Error(
        "SQLSYNC0033", "Shipped mutation removed",
        "Mutation '{0}' (tag 0x{1}, shape {2}) shipped in '{3}' but no mutation of '{4}' has that tag any more; records of it in journals could not replay. Restore it (it may be [Obsolete]), or delete its line from '{3}' once no journal can hold it.",
        VersioningCategory);

    public static readonly DiagnosticDescriptor MutationNotShipped = new(
        "SQLSYNC0034", "Mutation not yet recorded as shipped",
        "Mutation '{0}' (tag 0x{1}, shape {2}) is not recorded in '{3}'; record it as shipped when you release it",
        VersioningCategory, DiagnosticSeverity.Info, isEnabledByDefault: true,
        helpLinkUri: HelpLinkBase + "sqlsync0034");

    public static readonly DiagnosticDescriptor MalformedShippedFile = Error(
        "SQLSYNC0035", "Shipped-mutations file has a malformed line",
        "Line {1} of '{0}' is not '0xTAG Name (Shape) | parameters': '{2}'",
        VersioningCategory);

    public static readonly DiagnosticDescriptor InvalidMigration = Error(
        "SQLSYNC0036", "Migration method is invalid",
        "Migration '{0}' {1}; a migration is 'static void Name(IMutationContext context)' with [Migration(n)], n = 1, 2, 3...",
        VersioningCategory);

    public static readonly DiagnosticDescriptor MigrationVersionsNotInOrder = Error(
        "SQLSYNC0037", "Migration versions must be 1, 2, 3 without gaps or duplicates",
        "Migration '{0}' has version {1}, but {2}; number migrations 1, 2, 3... in the order they must run",
        VersioningCategory);
}
