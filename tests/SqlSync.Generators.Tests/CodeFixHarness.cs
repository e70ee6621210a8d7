using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using SqlSync.Generators.Diagnostics;

namespace SqlSync.Generators.Tests;

/// <summary>
/// Applies SqlSync's code fixes the way an IDE does: the source is a document in an <see cref="AdhocWorkspace"/>,
/// the diagnostics come from the generator and the analyzer run on its compilation, and each fix's
/// <see cref="ApplyChangesOperation"/> gives the next solution.
/// </summary>
internal static class CodeFixHarness
{
    /// <summary>The diagnostics of the generator and the analyzer on the document's project.</summary>
    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Document document)
    {
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        (_, GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(compilation);
        ImmutableArray<Diagnostic> analyzer = await output.WithAnalyzers([new NondeterminismAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        return [.. result.Diagnostics, .. analyzer];
    }

    public static Document CreateDocument(string source)
    {
#pragma warning disable CA2000 // the workspace must outlive the document returned; it holds only managed state
        var workspace = new AdhocWorkspace();
#pragma warning restore CA2000
        ProjectId projectId = ProjectId.CreateNewId();
        Solution solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "CodeFixTests", "CodeFixTests", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: GeneratorHarness.ParseOptions,
                metadataReferences: GeneratorHarness.References))
            .AddDocument(DocumentId.CreateNewId(projectId), "Source0.cs", SourceText.From(source));
        return solution.Projects.Single().Documents.Single();
    }

    /// <summary>The fixes <paramref name="provider"/> offers for one diagnostic.</summary>
    public static async Task<IReadOnlyList<CodeAction>> FixesAsync(CodeFixProvider provider, Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await provider.RegisterCodeFixesAsync(context);
        return actions;
    }

    /// <summary>
    /// Applies <paramref name="provider"/>'s fix to the first fixable diagnostic until none is left (or none is
    /// offered); returns the final text and the diagnostics left.
    /// </summary>
    public static async Task<(string Text, ImmutableArray<Diagnostic> Remaining, int Applied)> FixAllAsync(CodeFixProvider provider, string source)
    {
        Document document = CreateDocument(source);
        int applied = 0;
        while (true)
        {
            ImmutableArray<Diagnostic> diagnostics = await DiagnosticsAsync(document);
            Diagnostic[] fixable = diagnostics.Where(d => provider.FixableDiagnosticIds.Contains(d.Id)).OrderBy(d => d.Location.SourceSpan.Start).ToArray();
            CodeAction? action = null;
            foreach (Diagnostic diagnostic in fixable)
            {
                action = (await FixesAsync(provider, document, diagnostic)).FirstOrDefault();
                if (action is not null)
                {
                    break;
                }
            }

            if (action is null || applied > 20)
            {
                return ((await document.GetTextAsync()).ToString(), diagnostics, applied);
            }

            ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
            Solution changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
            document = changed.GetDocument(document.Id)!;
            applied++;
        }
    }
}
