using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using SqlSync.Generators.CodeFixes;

namespace SqlSync.Generators.Tests;

/// <summary>The code fixes give the expected text, and the fixed code compiles without SqlSync diagnostics.</summary>
[Trait("Category", "Diagnostics")]
public sealed class CodeFixTests
{
    private const string Usings = "using System;\nusing SqlSync.Mutations;\n\n";

    [Theory]
    [InlineData(
        "[MutationSet]\npublic static class Todos\n{\n    [Mutation] static void Add(IMutationContext context, string title) { }\n}\n",
        "[MutationSet]\npublic static partial class Todos\n{\n    [Mutation] static void Add(IMutationContext context, string title) { }\n}\n")]
    [InlineData(
        "public class Outer\n{\n    [MutationSet]\n    public static partial class Todos\n    {\n        [Mutation] static void Add(IMutationContext context) { }\n    }\n}\n",
        "public partial class Outer\n{\n    [MutationSet]\n    public static partial class Todos\n    {\n        [Mutation] static void Add(IMutationContext context) { }\n    }\n}\n")]
    [InlineData(
        "namespace App\n{\n    class Outer\n    {\n        internal struct Middle\n        {\n            [MutationSet]\n            static class Todos\n            {\n                [Mutation] static void Add(IMutationContext context) { }\n            }\n        }\n    }\n}\n",
        "namespace App\n{\n    partial class Outer\n    {\n        internal partial struct Middle\n        {\n            [MutationSet]\n            static partial class Todos\n            {\n                [Mutation] static void Add(IMutationContext context) { }\n            }\n        }\n    }\n}\n")]
    [InlineData(
        "[MutationSet] static class Todos { [Mutation] static void Add(IMutationContext context) { } }\n",
        "[MutationSet] static partial class Todos { [Mutation] static void Add(IMutationContext context) { } }\n")]
    public async Task MakePartialAddsPartialToTheClassAndItsContainers(string source, string expected)
    {
        (string text, var remaining, int applied) = await CodeFixHarness.FixAllAsync(new MakePartialCodeFixProvider(), Usings + source);

        Assert.Equal(Usings + expected, text);
        Assert.Equal(1, applied);
        Assert.Empty(remaining);
        AssertCompiles(text);
    }

    [Fact]
    public async Task MakePartialIsOneActionWithItsKey()
    {
        Document document = CodeFixHarness.CreateDocument(Usings + "public class Outer { [MutationSet] public static class Todos { } }");
        Diagnostic diagnostic = Assert.Single(await CodeFixHarness.DiagnosticsAsync(document), d => d.Id == "SQLSYNC0001");

        var action = Assert.Single(await CodeFixHarness.FixesAsync(new MakePartialCodeFixProvider(), document, diagnostic));
        Assert.Equal("SQLSYNC0001.MakePartial", action.EquivalenceKey);
        Assert.Equal("Make 'Todos' partial (with its containing types)", action.Title);
    }

    [Fact]
    public async Task ClockAndGuidBecomeTheContext()
    {
        const string source = Usings + """
            [MutationSet]
            public static partial class Stamps
            {
                [Mutation]
                static void Stamp(IMutationContext ctx, string note)
                {
                    DateTime created = DateTime.UtcNow;
                    var local = System.DateTime.Now;
                    DateTimeOffset at = DateTimeOffset.Now;
                    DateTimeOffset utc = DateTimeOffset.UtcNow;
                    DateTimeOffset converted = DateTime.UtcNow;
                    int year = DateTime.Now.Year;
                    Guid id = Guid.NewGuid();
                    Func<Guid> next = () => System.Guid.NewGuid();
                    Func<Guid> group = Guid.NewGuid;
                    void Local() => ctx.Execute("DELETE FROM notes WHERE at < ?1", DateTimeOffset.UtcNow);
                    Local();
                    ctx.Execute("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", id, note, created, local, at, utc, converted, year, next(), group());
                }
            }
            """;
        const string expected = Usings + """
            [MutationSet]
            public static partial class Stamps
            {
                [Mutation]
                static void Stamp(IMutationContext ctx, string note)
                {
                    DateTime created = ctx.Now.UtcDateTime;
                    var local = ctx.Now.UtcDateTime;
                    DateTimeOffset at = ctx.Now;
                    DateTimeOffset utc = ctx.Now;
                    DateTimeOffset converted = ctx.Now;
                    int year = ctx.Now.UtcDateTime.Year;
                    Guid id = ctx.NewGuid();
                    Func<Guid> next = () => ctx.NewGuid();
                    Func<Guid> group = ctx.NewGuid;
                    void Local() => ctx.Execute("DELETE FROM notes WHERE at < ?1", ctx.Now);
                    Local();
                    ctx.Execute("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", id, note, created, local, at, utc, converted, year, next(), group());
                }
            }
            """;

        (string text, var remaining, int applied) = await CodeFixHarness.FixAllAsync(new UseMutationContextCodeFixProvider(), source);

        Assert.Equal(expected, text);
        Assert.Equal(10, applied);
        Assert.Empty(remaining);
        AssertCompiles(text);
    }

    [Fact]
    public async Task FixesHaveTheirKeysAndTitles()
    {
        Document document = CodeFixHarness.CreateDocument(Usings + """
            [MutationSet]
            public static partial class C
            {
                [Mutation] static void M(IMutationContext context) { var a = DateTime.UtcNow; var g = Guid.NewGuid(); }
            }
            """);
        var diagnostics = await CodeFixHarness.DiagnosticsAsync(document);
        var provider = new UseMutationContextCodeFixProvider();

        var clock = Assert.Single(await CodeFixHarness.FixesAsync(provider, document, Assert.Single(diagnostics, d => d.Id == "SQLSYNC0012")));
        Assert.Equal(("SQLSYNC0012.UseContextNow", "Use 'context.Now.UtcDateTime'"), (clock.EquivalenceKey, clock.Title));
        var guid = Assert.Single(await CodeFixHarness.FixesAsync(provider, document, Assert.Single(diagnostics, d => d.Id == "SQLSYNC0013")));
        Assert.Equal(("SQLSYNC0013.UseContextNewGuid", "Use 'context.NewGuid()'"), (guid.EquivalenceKey, guid.Title));
    }

    [Theory]
    [InlineData("var today = DateTime.Today;", "SQLSYNC0012")]
    [InlineData("var watch = System.Diagnostics.Stopwatch.StartNew();", "SQLSYNC0012")]
    [InlineData("var v7 = Guid.CreateVersion7();", "SQLSYNC0013")]
    [InlineData("Func<DateTime> f = static () => DateTime.UtcNow;", "SQLSYNC0012")]
    [InlineData("static Guid Make() => Guid.NewGuid();", "SQLSYNC0013")]
    [InlineData("Func<IMutationContext, Guid> f = context => Guid.NewGuid();", "SQLSYNC0013")]
    [InlineData("Func<int, DateTime> f = context => DateTime.UtcNow;", "SQLSYNC0012")]
    public async Task NoFixWhereTheReplacementNeedsADecision(string statement, string id)
    {
        string source = Usings + "[MutationSet]\npublic static partial class C\n{\n    [Mutation] static void M(IMutationContext context) { " + statement + " }\n}\n";

        (string text, var remaining, int applied) = await CodeFixHarness.FixAllAsync(new UseMutationContextCodeFixProvider(), source);

        Assert.Equal(0, applied);
        Assert.Equal(source, text);
        Assert.Contains(remaining, d => d.Id == id);
    }

    [Fact]
    public async Task AKeywordContextNameIsEscaped()
    {
        string source = Usings + "[MutationSet]\npublic static partial class C\n{\n    [Mutation] static void M(IMutationContext @event) { var id = Guid.NewGuid(); }\n}\n";

        (string text, var remaining, int applied) = await CodeFixHarness.FixAllAsync(new UseMutationContextCodeFixProvider(), source);

        Assert.Equal(1, applied);
        Assert.Contains("var id = @event.NewGuid();", text, StringComparison.Ordinal);
        Assert.Empty(remaining);
    }

    [Fact]
    public void FixableIdsAreTheDiagnosticsTheyFix()
    {
        Assert.Equal(["SQLSYNC0001"], new MakePartialCodeFixProvider().FixableDiagnosticIds.ToArray());
        Assert.Equal(["SQLSYNC0012", "SQLSYNC0013"], new UseMutationContextCodeFixProvider().FixableDiagnosticIds.ToArray());
        Assert.Same(WellKnownFixAllProviders.BatchFixer, new UseMutationContextCodeFixProvider().GetFixAllProvider());
    }

    private static void AssertCompiles(string text)
    {
        (_, _, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(text));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
