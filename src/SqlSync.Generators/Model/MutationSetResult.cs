using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>What the parser found for one mutations class: a spec to emit (null when the class itself is invalid) and diagnostics.</summary>
internal sealed record MutationSetResult(MutationSetSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
