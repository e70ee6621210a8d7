using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SqlSync.Generators.Diagnostics;

/// <summary>
/// The methods of one compilation that a mutation reaches through calls (methods, constructors, property
/// accessors, method groups), and the nondeterministic APIs they use. Only bodies in source are followed
/// (a library's code is beyond reach) and only the static target of a call (not overrides of a virtual one).
/// Each method's own facts are computed once per compilation; a search is breadth-first, so the chain it
/// reports is a shortest one, and it stops after <see cref="MaxMethods"/> methods.
/// </summary>
internal sealed class SourceCallGraph
{
    /// <summary>How many methods one search visits at most: a bound on the cost of a huge call graph.</summary>
    public const int MaxMethods = 512;

    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<IMethodSymbol, MethodFacts> _facts = new(SymbolEqualityComparer.Default);

    public SourceCallGraph(Compilation compilation) => _compilation = compilation;

    /// <summary>The methods in source that <paramref name="operation"/> calls (none for most operations).</summary>
    public static IEnumerable<IMethodSymbol> CalleesOf(IOperation operation)
    {
        IEnumerable<IMethodSymbol?> targets = operation switch
        {
            IInvocationOperation invocation => new[] { invocation.TargetMethod },
            IMethodReferenceOperation reference => new[] { reference.Method },
            IObjectCreationOperation creation => new[] { creation.Constructor },
            IPropertyReferenceOperation property => new[] { property.Property.GetMethod, property.Property.SetMethod },
            _ => System.Array.Empty<IMethodSymbol?>(),
        };
        foreach (IMethodSymbol? target in targets)
        {
            IMethodSymbol? method = target?.OriginalDefinition is { } definition ? definition.PartialImplementationPart ?? definition : null;
            // Lambdas and local functions are part of the body being walked already.
            if (method is { MethodKind: not (MethodKind.LocalFunction or MethodKind.AnonymousFunction) } && method.DeclaringSyntaxReferences.Length > 0)
            {
                yield return method;
            }
        }
    }

    /// <summary>
    /// Every nondeterministic use reachable from <paramref name="callee"/>, each once, with the chain of
    /// methods that leads to it (starting at <paramref name="callee"/>).
    /// </summary>
    public IReadOnlyList<ReachedUse> UsesReachedFrom(IMethodSymbol callee, CancellationToken cancellationToken)
    {
        var parents = new Dictionary<IMethodSymbol, IMethodSymbol?>(SymbolEqualityComparer.Default) { [callee] = null };
        var queue = new Queue<IMethodSymbol>();
        queue.Enqueue(callee);
        var found = new List<ReachedUse>();
        var seen = new HashSet<(string, string)>();
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IMethodSymbol method = queue.Dequeue();
            MethodFacts facts = _facts.GetOrAdd(method, m => Scan(m, cancellationToken));
            foreach ((DiagnosticDescriptor descriptor, string display) in facts.Uses)
            {
                if (seen.Add((descriptor.Id, display)))
                {
                    found.Add(new ReachedUse(descriptor, display, ChainTo(method, parents)));
                }
            }

            foreach (IMethodSymbol next in facts.Callees)
            {
                if (parents.Count < MaxMethods && !parents.ContainsKey(next))
                {
                    parents[next] = method;
                    queue.Enqueue(next);
                }
            }
        }

        return found;
    }

    /// <summary>"Type.Method", as the diagnostics name methods.</summary>
    public static string NameOf(IMethodSymbol method) => method.MethodKind switch
    {
        MethodKind.Constructor => method.ContainingType.Name + " constructor",
        MethodKind.PropertyGet or MethodKind.PropertySet when method.AssociatedSymbol is { } property => method.ContainingType.Name + "." + property.Name,
        _ => method.ContainingType.Name + "." + method.Name,
    };

    private static string ChainTo(IMethodSymbol method, Dictionary<IMethodSymbol, IMethodSymbol?> parents)
    {
        var names = new List<string>();
        for (IMethodSymbol? current = method; current is not null; current = parents[current])
        {
            names.Add(NameOf(current));
        }

        names.Reverse();
        return string.Join(" → ", names);
    }

    private MethodFacts Scan(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var uses = new List<(DiagnosticDescriptor, string)>();
        var callees = new List<IMethodSymbol>();
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode node = reference.GetSyntax(cancellationToken);
#pragma warning disable RS1030 // The callee's body lives in another tree than the mutation being analyzed; asked once per method.
            SemanticModel model = _compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030
            IOperation? body = model.GetOperation(node, cancellationToken);
            if (body is null)
            {
                continue;
            }

            foreach (IOperation operation in body.DescendantsAndSelf())
            {
                if (NondeterministicApis.Find(operation) is { } use)
                {
                    uses.Add(use);
                }

                callees.AddRange(CalleesOf(operation));
            }
        }

        return new MethodFacts(uses, callees.Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToArray());
    }

    private sealed class MethodFacts
    {
        public MethodFacts(IReadOnlyList<(DiagnosticDescriptor, string)> uses, IReadOnlyList<IMethodSymbol> callees)
        {
            Uses = uses;
            Callees = callees;
        }

        public IReadOnlyList<(DiagnosticDescriptor Descriptor, string Display)> Uses { get; }

        public IReadOnlyList<IMethodSymbol> Callees { get; }
    }
}
