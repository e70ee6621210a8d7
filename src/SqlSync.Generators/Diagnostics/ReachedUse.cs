using Microsoft.CodeAnalysis;

namespace SqlSync.Generators.Diagnostics;

/// <summary>A nondeterministic use found in a method a mutation calls, and the chain of calls that reaches it.</summary>
internal sealed class ReachedUse
{
    public ReachedUse(DiagnosticDescriptor descriptor, string display, string chain)
    {
        Descriptor = descriptor;
        Display = display;
        Chain = chain;
    }

    public DiagnosticDescriptor Descriptor { get; }

    public string Display { get; }

    public string Chain { get; }
}
