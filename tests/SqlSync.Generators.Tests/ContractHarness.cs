using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.Tests;

/// <summary>
/// A project with one source file and a shipped-mutations file (an additional document), the generator run on
/// it with that file as an AdditionalFiles item, and SqlSync's contract code fixes applied as an IDE does.
/// </summary>
internal static class ContractHarness
{
    public const string SourcePath = "/app/Todos.cs";
    public const string ShippedPath = "/app/Todos.Shipped.txt";

    public static Document CreateDocument(string source, string? shipped, string shippedPath = ShippedPath)
    {
#pragma warning disable CA2000 // the workspace must outlive the document returned; it holds only managed state
        var workspace = new AdhocWorkspace();
#pragma warning restore CA2000
        ProjectId projectId = ProjectId.CreateNewId();
        DocumentId documentId = DocumentId.CreateNewId(projectId);
        Solution solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "ContractTests", "ContractTests", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: GeneratorHarness.ParseOptions,
                metadataReferences: GeneratorHarness.References))
            .AddDocument(documentId, "Todos.cs", SourceText.From(source), filePath: SourcePath);
        if (shipped is not null)
        {
            solution = solution.AddAdditionalDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(shippedPath), SourceText.From(shipped), filePath: shippedPath);
        }

        return solution.GetDocument(documentId)!;
    }

    /// <summary>Runs the generator with the project's additional documents; returns its diagnostics and the compilation with generated code.</summary>
    public static async Task<(ImmutableArray<Diagnostic> Diagnostics, Compilation Output, GeneratorDriver Driver)> RunAsync(Document document, GeneratorDriver? driver = null)
    {
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        var texts = new List<AdditionalText>();
        foreach (TextDocument additional in document.Project.AdditionalDocuments)
        {
            texts.Add(new MemoryAdditionalText(additional.FilePath!, await additional.GetTextAsync()));
        }

        driver ??= CSharpGeneratorDriver.Create(
            [new MutationGenerator().AsSourceGenerator()],
            additionalTexts: texts,
            parseOptions: GeneratorHarness.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return (driver.GetRunResult().Diagnostics, output, driver);
    }

    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Document document) => (await RunAsync(document)).Diagnostics;

    /// <summary>Applies the first fix <paramref name="provider"/> offers for the diagnostic with <paramref name="id"/>.</summary>
    public static async Task<(Solution Solution, CodeAction Action)> FixAsync(CodeFixProvider provider, Document document, string id)
    {
        Diagnostic diagnostic = (await DiagnosticsAsync(document)).First(d => d.Id == id);
        CodeAction action = (await CodeFixHarness.FixesAsync(provider, document, diagnostic)).First();
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
        return (operations.OfType<ApplyChangesOperation>().Single().ChangedSolution, action);
    }

    public static async Task<string> ShippedTextAsync(Document document) =>
        (await document.Project.AdditionalDocuments.Single().GetTextAsync()).ToString();

    /// <summary>Emits the compilation (with generated code) and loads it in a collectible context; fails on any compile error.</summary>
    public static Assembly Load(Compilation output)
    {
        using var stream = new MemoryStream();
        var result = output.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return new AssemblyLoadContext("contract-" + Guid.NewGuid().ToString("N"), isCollectible: true).LoadFromStream(stream);
    }

    /// <summary>"ID path(line,col): message" of a diagnostic, 1-based.</summary>
    public static string Describe(Diagnostic d)
    {
        FileLinePositionSpan span = d.Location.GetLineSpan();
        return $"{d.Id} {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private sealed class MemoryAdditionalText(string path, SourceText text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => text;
    }
}
