using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SqlSync.Generators.Diagnostics;
using SqlSync.Mutations;
using SqlSync.Testing;

namespace SqlSync.Generators.Tests;

/// <summary>Compiles test sources against the runtime and runs the generator (and analyzer) on them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static readonly MetadataReference[] References = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
        .Append(typeof(IMutation).Assembly.Location)
        .Distinct()
        .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
        .ToArray();

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "SqlSyncGeneratorTests",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        [new MutationGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the driver (for a second run), the result and the compilation with the generated code.</summary>
    public static (GeneratorDriver Driver, GeneratorDriverRunResult Result, Compilation Output) Run(Compilation compilation, GeneratorDriver? driver = null)
    {
        GeneratorDriver ran = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return (ran, ran.GetRunResult(), output);
    }

    /// <summary>The generated files, ordered by hint name, as "// hint name" headers followed by the text.</summary>
    public static string GeneratedText(GeneratorDriverRunResult result) => GeneratedSource.Format(result.Results
        .SelectMany(r => r.GeneratedSources)
        .Select(s => new GeneratedFile(s.HintName, s.SourceText.ToString())));

    /// <summary>Every diagnostic of the generator and the analyzer, with errors of the compiled output.</summary>
    public static async Task<ImmutableArray<Diagnostic>> AllDiagnosticsAsync(params string[] sources)
    {
        (_, GeneratorDriverRunResult result, Compilation output) = Run(Compile(sources));
        ImmutableArray<Diagnostic> analyzer = await output
            .WithAnalyzers([new NondeterminismAnalyzer()])
            .GetAnalyzerDiagnosticsAsync();
        return [.. result.Diagnostics, .. analyzer];
    }

    /// <summary>One line per diagnostic, sorted by position: "ID file(line,col-line,col): message".</summary>
    public static string Format(IEnumerable<Diagnostic> diagnostics) => string.Join("\n", diagnostics
        .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
        .ThenBy(d => d.Location.SourceSpan.Start)
        .ThenBy(d => d.Id, StringComparer.Ordinal)
        .Select(d =>
        {
            FileLinePositionSpan span = d.Location.GetLineSpan();
            return $"{d.Id} {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
        }));
}
