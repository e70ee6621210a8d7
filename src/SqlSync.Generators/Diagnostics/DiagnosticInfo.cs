using System.Linq;
using Microsoft.CodeAnalysis;
using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Diagnostics;

/// <summary>A diagnostic as plain, equatable data, reported after the pipeline's cache.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] messageArgs) =>
        new(descriptor, location, new EquatableArray<string>(messageArgs));

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), MessageArgs.Cast<object>().ToArray());
}
