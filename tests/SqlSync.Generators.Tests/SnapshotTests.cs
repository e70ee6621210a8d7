using Microsoft.CodeAnalysis;
using SqlSync.Generators.Tests.Inputs;
using SqlSync.Generators.Tests.Snapshots;

namespace SqlSync.Generators.Tests;

/// <summary>The generated source of representative classes, and the diagnostics of invalid ones, against committed snapshots.</summary>
[Trait("Category", "Snapshot")]
public sealed class SnapshotTests
{
    [Fact]
    public void Todo() => Check(TestSources.Todo, nameof(Todo));

    [Fact]
    public void AllTypes() => Check(TestSources.AllTypes, nameof(AllTypes));

    [Fact]
    public void Nested() => Check(TestSources.Nested, nameof(Nested));

    [Fact]
    public void GlobalNamespace() => Check(TestSources.GlobalNamespace, nameof(GlobalNamespace));

    [Fact]
    public async Task InvalidInputsDiagnostics()
    {
        var diagnostics = await GeneratorHarness.AllDiagnosticsAsync(InvalidSources.All);
        SnapshotAssert.Matches(GeneratorHarness.Format(diagnostics) + "\n", nameof(InvalidInputsDiagnostics), "txt");
    }

    private static void Check(string source, string name)
    {
        (_, GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        SnapshotAssert.Matches(GeneratorHarness.GeneratedText(result), name);
    }
}
