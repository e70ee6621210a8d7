using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>One mutation method and the record generated for it.</summary>
/// <param name="MethodName">The method's name.</param>
/// <param name="RecordName">The record's name: the method's name plus "Mutation".</param>
/// <param name="Tag">The stable tag.</param>
/// <param name="IsExplicitTag">True when the tag came from the attribute.</param>
/// <param name="RecordAccessibility">"public", "internal" or "private": the widest the parameter types allow.</param>
/// <param name="IsObsolete">True when the method is [Obsolete] (a shipped shape kept for old journals): generated code calling it suppresses the warning.</param>
/// <param name="ExtensionAccessibility">"public" or "internal" for the extension methods, or null when the types are too private for them.</param>
internal sealed record MutationSpec(
    string MethodName,
    string RecordName,
    uint Tag,
    bool IsExplicitTag,
    string RecordAccessibility,
    string? ExtensionAccessibility,
    EquatableArray<ParameterSpec> Parameters,
    bool IsObsolete = false);
