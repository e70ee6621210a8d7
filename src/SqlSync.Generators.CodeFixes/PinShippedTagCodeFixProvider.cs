using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.CodeFixes;

/// <summary>
/// SQLSYNC0032: pins the shipped tag on a mutation whose tag moved (a namespace or class rename changed its
/// derived tag, or its explicit tag was edited). SQLSYNC0031: gives a mutation that reuses a shipped tag for
/// another shape a new tag of its own. Both only rewrite the <c>[Mutation]</c> attribute.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinShippedTagCodeFixProvider)), Shared]
public sealed class PinShippedTagCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(ShippedContractFixIds.ShippedTagChanged, ShippedContractFixIds.ShippedTagReused);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            bool pin = diagnostic.Id == ShippedContractFixIds.ShippedTagChanged;
            string key = pin ? ShippedContractFixIds.ShippedTagProperty : ShippedContractFixIds.NewTagProperty;
            MethodDeclarationSyntax? method = MutationAttributeSyntax.MethodAt(root, diagnostic.Location.SourceSpan);
            if (!diagnostic.Properties.TryGetValue(key, out string? tag) || tag is null || method is null
                || MutationAttributeSyntax.SetTag(method, tag) is not TextChange change)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    pin ? $"Pin the shipped tag 0x{tag}" : $"Give '{method.Identifier.ValueText}' the new tag 0x{tag}",
                    token => ApplyAsync(context.Document, change, token),
                    pin ? ShippedContractFixIds.PinShippedTag : ShippedContractFixIds.UseNewTag),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, TextChange change, CancellationToken cancellationToken)
    {
        SourceText text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        return document.WithText(text.WithChanges(change));
    }
}
