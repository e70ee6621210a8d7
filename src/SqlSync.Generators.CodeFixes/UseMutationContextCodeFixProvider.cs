using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SqlSync.Generators.CodeFixes;

/// <summary>
/// SQLSYNC0012 and SQLSYNC0013, the mechanical cases: inside a mutation, replaces <c>DateTimeOffset.Now/UtcNow</c>
/// with <c>context.Now</c>, <c>DateTime.Now/UtcNow</c> with <c>context.Now.UtcDateTime</c> (or <c>context.Now</c>
/// where the value is converted to <c>DateTimeOffset</c> anyway), and <c>Guid.NewGuid()</c> with
/// <c>context.NewGuid()</c>, using the name of the mutation's context parameter. No fix is offered where that
/// parameter cannot be reached by name (shadowed, or inside a static lambda or local function), nor for the
/// other clock APIs (<c>DateTime.Today</c>, <c>Stopwatch</c>, <c>TimeProvider</c>) and <c>Guid.CreateVersion7</c>,
/// whose replacement needs a decision.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseMutationContextCodeFixProvider)), Shared]
public sealed class UseMutationContextCodeFixProvider : CodeFixProvider
{
    private const string ContextTypeName = "SqlSync.Mutations.IMutationContext";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(CodeFixIds.NondeterministicClock, CodeFixIds.NondeterministicGuid);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax node
                || Replacement(model, node, context.CancellationToken) is not { } replacement)
            {
                continue;
            }

            (ExpressionSyntax target, string text, string key) = replacement;
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Use '" + text + "'",
                    async token =>
                    {
                        SyntaxNode? current = await context.Document.GetSyntaxRootAsync(token).ConfigureAwait(false);
                        ExpressionSyntax fixedNode = SyntaxFactory.ParseExpression(text).WithTriviaFrom(target);
                        return current is null ? context.Document : context.Document.WithSyntaxRoot(current.ReplaceNode(target, fixedNode));
                    },
                    key),
                diagnostic);
        }
    }

    /// <summary>The node to replace, its replacement's text and the fix's key; null when no mechanical fix applies.</summary>
    private static (ExpressionSyntax Target, string Text, string Key)? Replacement(SemanticModel model, ExpressionSyntax node, CancellationToken cancellationToken)
    {
        // The diagnostic spans the whole reference: 'DateTime.Now', 'Guid.NewGuid()' or the method group 'Guid.NewGuid'.
        ISymbol? symbol = model.GetSymbolInfo(node, cancellationToken).Symbol;
        if (symbol?.ContainingType is not { } type || ContextName(model, node, cancellationToken) is not { } contextName)
        {
            return null;
        }

        string typeName = type.ToDisplayString();
        switch (symbol)
        {
            case IPropertySymbol { Name: "Now" or "UtcNow" } when typeName == "System.DateTimeOffset":
                return (node, contextName + ".Now", CodeFixIds.UseContextNow);
            case IPropertySymbol { Name: "Now" or "UtcNow" } when typeName == "System.DateTime":
                // context.Now is a DateTimeOffset; keep the DateTime type unless the value becomes a DateTimeOffset anyway.
                bool toOffset = model.GetTypeInfo(node, cancellationToken).ConvertedType?.ToDisplayString() == "System.DateTimeOffset";
                return (node, contextName + (toOffset ? ".Now" : ".Now.UtcDateTime"), CodeFixIds.UseContextNow);
            case IMethodSymbol { Name: "NewGuid", Parameters.Length: 0 } when typeName == "System.Guid":
                return (node, contextName + (node is InvocationExpressionSyntax ? ".NewGuid()" : ".NewGuid"), CodeFixIds.UseContextNewGuid);
            default:
                return null;
        }
    }

    /// <summary>
    /// The name of the enclosing mutation's <see cref="ContextTypeName"/> parameter, if the node can use it:
    /// not shadowed by a lambda or local-function parameter or local, not inside a static lambda or local function.
    /// </summary>
    private static string? ContextName(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        if (node.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } method
            || method.ParameterList.Parameters.FirstOrDefault() is not { } first
            || model.GetDeclaredSymbol(first, cancellationToken) is not IParameterSymbol parameter
            || parameter.Type.ToDisplayString() != ContextTypeName)
        {
            return null;
        }

        foreach (SyntaxNode ancestor in node.Ancestors().TakeWhile(a => a != method))
        {
            SyntaxTokenList modifiers = ancestor switch
            {
                AnonymousFunctionExpressionSyntax function => function.Modifiers,
                LocalFunctionStatementSyntax local => local.Modifiers,
                _ => default,
            };
            if (modifiers.Any(SyntaxKind.StaticKeyword))
            {
                return null;
            }
        }

        string name = parameter.Name;
        ImmutableArray<ISymbol> visible = model.LookupSymbols(node.SpanStart, name: name);
        return visible.Length == 1 && SymbolEqualityComparer.Default.Equals(visible[0], parameter)
            ? (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name)
            : null;
    }
}
