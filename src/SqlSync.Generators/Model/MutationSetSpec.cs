using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>Everything the emitter needs for one mutations class. Plain data only: no symbols, syntax or locations.</summary>
/// <param name="HintName">The generated file's name.</param>
/// <param name="Namespace">The namespace, or "" for the global namespace.</param>
/// <param name="ContainingTypes">Types that contain the class, outermost first.</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="DisplayName">The class's full name without <c>global::</c>, used in error messages.</param>
/// <param name="FullyQualifiedName">The class's name with <c>global::</c>.</param>
/// <param name="ExtensionsClassName">The static class that holds the extension methods.</param>
/// <param name="Mutations">The mutations, sorted by tag.</param>
/// <param name="Migrations">The schema migrations, sorted by version (1, 2, ... without gaps).</param>
/// <param name="MinimumClientSchemaVersion">From <c>[MutationSet(MinimumClientSchemaVersion = n)]</c>; 0 when not set.</param>
/// <param name="Shapes">The composite types the codec needs, sorted by shape name.</param>
internal sealed record MutationSetSpec(
    string HintName,
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string ClassName,
    string DisplayName,
    string FullyQualifiedName,
    string ExtensionsClassName,
    EquatableArray<MutationSpec> Mutations,
    EquatableArray<CodecShapeSpec> Shapes,
    EquatableArray<MigrationSpec> Migrations = default,
    int MinimumClientSchemaVersion = 0);
