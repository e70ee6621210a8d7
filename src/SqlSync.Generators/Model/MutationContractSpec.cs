using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>What the shipped-mutations check needs of one valid mutations class. Plain data only.</summary>
/// <param name="ClassName">The class's simple name: its shipped file is <c>ClassName.Shipped.txt</c>.</param>
/// <param name="DisplayName">The class's full name, for messages.</param>
/// <param name="SourceDirectories">Directories of the files that declare the class, to pick its shipped file when names collide.</param>
/// <param name="Location">The class's name in source.</param>
/// <param name="Mutations">Its mutations, sorted by tag.</param>
internal sealed record MutationContractSpec(
    string ClassName,
    string DisplayName,
    EquatableArray<string> SourceDirectories,
    LocationInfo? Location,
    EquatableArray<ContractMutationSpec> Mutations);
