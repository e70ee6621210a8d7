using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>
/// What the parser found for one mutations class: a spec to emit (null when the class itself is invalid),
/// diagnostics, and what the shipped-mutations check needs (null when the class is invalid).
/// </summary>
internal sealed record MutationSetResult(MutationSetSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, MutationContractSpec? Contract = null);
