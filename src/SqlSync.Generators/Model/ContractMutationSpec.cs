using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>One mutation as the shipped-mutations contract sees it: its tag, name and encoded shape.</summary>
/// <param name="Name">The method's name.</param>
/// <param name="QualifiedName">"Namespace.Class.Method": what a derived tag is hashed from.</param>
/// <param name="Tag">The tag it has now.</param>
/// <param name="IsExplicitTag">True when the tag came from the attribute.</param>
/// <param name="Shape">The encoded shape, e.g. <c>(String,Boolean?,[{Int32,String}])</c> (see <see cref="ContractShape"/>).</param>
/// <param name="Parameters">The C# parameters after the context, e.g. <c>string title, bool done</c>, for the shipped file and its code fix.</param>
/// <param name="Location">The method's name in source.</param>
internal sealed record ContractMutationSpec(
    string Name,
    string QualifiedName,
    uint Tag,
    bool IsExplicitTag,
    string Shape,
    string Parameters,
    LocationInfo? Location);
