using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using SqlSync.Generators.Tests.Inputs;

namespace SqlSync.Generators.Tests;

/// <summary>Each diagnostic fires on a minimal invalid case at the marked location, and nothing fires on valid code.</summary>
[Trait("Category", "Diagnostics")]
public sealed class DiagnosticsTests
{
    public static TheoryData<int, string> CaseIndexes()
    {
        var data = new TheoryData<int, string>();
        for (int i = 0; i < InvalidSources.Cases.Length; i++)
        {
            data.Add(i, InvalidSources.Cases[i].Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public async Task FiresAtTheMarkedLocation(int index, string id)
    {
        (string text, IReadOnlyList<TextSpan> expected) = MarkedSource.Strip(InvalidSources.Cases[index].Source);
        var diagnostics = await GeneratorHarness.AllDiagnosticsAsync(text);

        TextSpan[] actual = diagnostics.Where(d => d.Id == id).Select(d => d.Location.SourceSpan).OrderBy(s => s.Start).ToArray();
        Assert.True(expected.SequenceEqual(actual),
            $"{id}: expected at {string.Join(", ", expected)}, reported at {string.Join(", ", actual)}.\nAll: {GeneratorHarness.Format(diagnostics)}");
        Assert.All(diagnostics.Where(d => d.Id == id), d =>
        {
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal($"https://github.com/sqlsync/sqlsync-dotnet/blob/main/docs/diagnostics.md#{id.ToLowerInvariant()}", d.Descriptor.HelpLinkUri);
        });
    }

    [Fact]
    public void EveryDiagnosticHasACase()
    {
        string[] ids = typeof(SqlSync.Generators.Diagnostics.DiagnosticDescriptors)
            .GetFields()
            .Select(f => f.GetValue(null))
            .OfType<DiagnosticDescriptor>()
            .Where(d => d.Category != SqlSync.Generators.Diagnostics.DiagnosticDescriptors.VersioningCategory) // need a shipped file: ShippedContractTests
            .Select(d => d.Id)
            .ToArray();
        Assert.Equal(ids.Order(), InvalidSources.Cases.Select(c => c.Id).Distinct().Order());
    }

    [Fact]
    public async Task ValidCodeHasNoDiagnostics()
    {
        const string deterministic = """
            using System;
            using SqlSync.Mutations;

            public static class Clock { public static DateTime Read() => DateTime.Now; }

            [MutationSet]
            public static partial class Good
            {
                [Mutation]
                static void Stamp(IMutationContext context, string note)
                {
                    context.Execute("INSERT INTO notes VALUES (?1, ?2, ?3, ?4)", context.NewGuid(), note, context.Now, context.NextInt32(0, 10));
                }
            }
            """;
        foreach (string source in new[] { TestSources.Todo, TestSources.AllTypes, TestSources.Nested, TestSources.GlobalNamespace, deterministic })
        {
            Assert.Empty(await GeneratorHarness.AllDiagnosticsAsync(source));
        }
    }

    [Fact]
    public async Task MessagesNameTheParameterTypeAndTheReplacement()
    {
        var unsupported = await GeneratorHarness.AllDiagnosticsAsync(InvalidSources.All[10]);
        string message = Assert.Single(unsupported, d => d.Id == "SQLSYNC0007").GetMessage();
        Assert.Contains("'head'", message, StringComparison.Ordinal);
        Assert.Contains("contains itself", message, StringComparison.Ordinal);

        var clock = await GeneratorHarness.AllDiagnosticsAsync(InvalidSources.All[18]);
        Assert.All(clock.Where(d => d.Id == "SQLSYNC0012"), d => Assert.Contains("context.Now", d.GetMessage(), StringComparison.Ordinal));
    }
}
