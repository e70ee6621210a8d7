using System;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.CodeFixes;

/// <summary>
/// SQLSYNC0034: records a mutation as shipped by appending its line (tag, name, encoded shape, C# parameters)
/// to the class's <c>ClassName.Shipped.txt</c>. Recording is always this explicit step, never automatic.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RecordAsShippedCodeFixProvider)), Shared]
public sealed class RecordAsShippedCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(ShippedContractFixIds.MutationNotShipped);

    /// <inheritdoc />
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(ShippedContractFixIds.ShippedFileProperty, out string? path) || path is null
                || !diagnostic.Properties.TryGetValue(ShippedContractFixIds.LineProperty, out string? line) || line is null)
            {
                continue;
            }

            TextDocument? file = context.Document.Project.AdditionalDocuments.FirstOrDefault(d => string.Equals(d.FilePath, path, StringComparison.Ordinal));
            if (file is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Record as shipped in " + System.IO.Path.GetFileName(path),
                    token => AppendAsync(file, line, token),
                    ShippedContractFixIds.RecordAsShipped),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static async Task<Solution> AppendAsync(TextDocument file, string line, CancellationToken cancellationToken)
    {
        SourceText text = await file.GetTextAsync(cancellationToken).ConfigureAwait(false);
        string content = text.ToString();
        string newline = content.Contains("\r\n") ? "\r\n" : "\n";
        string separator = content.Length == 0 || content.EndsWith("\n", StringComparison.Ordinal) ? "" : newline;
        SourceText appended = text.WithChanges(new TextChange(new TextSpan(text.Length, 0), separator + line + newline));
        return file.Project.Solution.WithAdditionalDocumentText(file.Id, appended);
    }
}
