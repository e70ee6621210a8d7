using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.CodeFixes;

/// <summary>
/// SQLSYNC0030: a shipped mutation changed its parameters. Keeps the shipped shape as an <c>[Obsolete]</c>
/// mutation under the shipped tag (named <c>NameV1</c>, <c>NameV2</c>... when the name is taken) whose body
/// forwards to the changed mutation (parameters matched by name, new ones given their default), and gives
/// the changed mutation a new tag, so records already in journals still decode and replay.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(KeepShippedShapeCodeFixProvider)), Shared]
public sealed class KeepShippedShapeCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(ShippedContractFixIds.ShippedShapeChanged);

    /// <inheritdoc />
    public override FixAllProvider? GetFixAllProvider() => null;

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
            MethodDeclarationSyntax? method = MutationAttributeSyntax.MethodAt(root, diagnostic.Location.SourceSpan);
            if (method is null || method.ParameterList.Parameters.Count == 0 || MutationAttributeSyntax.Find(method) is null
                || !diagnostic.Properties.TryGetValue(ShippedContractFixIds.ShippedTagProperty, out string? shippedTag) || shippedTag is null
                || !diagnostic.Properties.TryGetValue(ShippedContractFixIds.NewTagProperty, out string? newTag) || newTag is null
                || !diagnostic.Properties.TryGetValue(ShippedContractFixIds.ShippedNameProperty, out string? shippedName) || shippedName is null
                || !diagnostic.Properties.TryGetValue(ShippedContractFixIds.ShippedParametersProperty, out string? shippedParameters) || shippedParameters is null)
            {
                continue;
            }

            string oldName = FreeName(method, shippedName);
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Keep the shipped shape as [Obsolete] '{oldName}' (tag 0x{shippedTag}); give '{method.Identifier.ValueText}' tag 0x{newTag}",
                    token => ApplyAsync(context.Document, method, oldName, shippedTag, newTag, shippedParameters, token),
                    ShippedContractFixIds.KeepShippedShape),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(
        Document document, MethodDeclarationSyntax method, string oldName, string shippedTag, string newTag, string shippedParameters,
        CancellationToken cancellationToken)
    {
        SourceText text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        string newline = text.ToString().Contains("\r\n") ? "\r\n" : "\n";
        TextLine firstLine = text.Lines.GetLineFromPosition(method.SpanStart);
        string lineText = firstLine.ToString();
        string indent = lineText.Substring(0, lineText.Length - lineText.TrimStart().Length);
        AttributeSyntax attribute = MutationAttributeSyntax.Find(method)!;
        ParameterSyntax contextParameter = method.ParameterList.Parameters[0];
        ParameterListSyntax oldParameters = SyntaxFactory.ParseParameterList("(" + shippedParameters + ")");
        var oldNames = new HashSet<string>(oldParameters.Parameters.Select(p => p.Identifier.ValueText), StringComparer.Ordinal);

        var arguments = new List<string> { contextParameter.Identifier.Text };
        foreach (ParameterSyntax parameter in method.ParameterList.Parameters.Skip(1))
        {
            string name = parameter.Identifier.Text;
            if (oldNames.Contains(parameter.Identifier.ValueText))
            {
                arguments.Add($"{name}: {name}");
            }
            else if (parameter.Default is null)
            {
                // A parameter the shipped shape did not have: old records replay with its default.
                arguments.Add($"{name}: default!");
            }
        }

        string modifiers = string.Join(" ", method.Modifiers.Select(m => m.Text));
        string parameters = contextParameter.ToString() + (oldParameters.Parameters.Count > 0 ? ", " + shippedParameters : "");
        string current = method.Identifier.Text;
        var old = new StringBuilder()
            .Append(indent).Append("/// <summary>The shape of '").Append(current).Append("' shipped under tag 0x").Append(shippedTag)
            .Append(": kept so that records already in journals still decode and replay.</summary>").Append(newline)
            .Append(indent).Append("[global::System.Obsolete(\"Shipped shape of '").Append(current).Append("' (tag 0x").Append(shippedTag)
            .Append("), kept for records already in journals; use '").Append(current).Append("'.\")]").Append(newline)
            .Append(indent).Append('[').Append(MutationAttributeSyntax.WithTag(attribute, shippedTag)).Append(']').Append(newline)
            .Append(indent).Append(modifiers).Append(modifiers.Length > 0 ? " " : "").Append("void ").Append(oldName)
            .Append('(').Append(parameters).Append(") =>").Append(newline)
            .Append(indent).Append("    ").Append(current).Append('(').Append(string.Join(", ", arguments)).Append(");").Append(newline)
            .Append(newline)
            .ToString();

        SourceText changed = text.WithChanges(
            new TextChange(new TextSpan(method.FullSpan.Start, 0), old),
            new TextChange(attribute.Span, MutationAttributeSyntax.WithTag(attribute, newTag)));
        return document.WithText(changed);
    }

    /// <summary>The shipped name when it is free, else <c>NameV1</c>, <c>NameV2</c>...</summary>
    private static string FreeName(MethodDeclarationSyntax method, string shippedName)
    {
        var taken = new HashSet<string>(
            method.Parent is TypeDeclarationSyntax type ? type.Members.OfType<MethodDeclarationSyntax>().Select(m => m.Identifier.ValueText) : Enumerable.Empty<string>(),
            StringComparer.Ordinal);
        if (!taken.Contains(shippedName))
        {
            return shippedName;
        }

        for (int version = 1; ; version++)
        {
            string candidate = shippedName + "V" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}
