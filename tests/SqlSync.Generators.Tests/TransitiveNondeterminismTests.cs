using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using SqlSync.Generators.Tests.Inputs;

namespace SqlSync.Generators.Tests;

/// <summary>
/// A nondeterministic call in a method of the same compilation that a mutation calls, however deep, is
/// reported at the call site in the mutation with the chain; messages use the context parameter's real name.
/// </summary>
[Trait("Category", "FirstHour")]
public sealed class TransitiveNondeterminismTests
{
    private const string Usings = "using System;\nusing SqlSync.Mutations;\n";

    [Fact]
    public async Task AHelperTwoCallsDeepIsReportedAtTheCallSiteWithTheChain()
    {
        const string source = Usings + """
            public static class Stamps
            {
                public static string Label(string text) => text + " @ " + Clock();
                private static DateTime Clock() => DateTime.Now;
            }

            [MutationSet]
            public static partial class Notes
            {
                [Mutation]
                static void Add(IMutationContext ctx, string text) => ctx.Execute("INSERT INTO notes VALUES (?1)", [|Stamps.Label(text)|]);
            }
            """;
        Diagnostic diagnostic = await SingleAtMarkAsync(source, "SQLSYNC0012");
        string message = diagnostic.GetMessage();
        Assert.Equal("Mutation 'Notes.Add' uses 'DateTime.Now' through 'Stamps.Label → Stamps.Clock', which differs on every replica; use 'ctx.Now', the time recorded with the mutation", message);
    }

    [Fact]
    public async Task PropertiesConstructorsAndMethodGroupsAreFollowed()
    {
        const string source = Usings + """
            public sealed class Ids
            {
                public Ids() => Seed = Guid.NewGuid();
                public Guid Seed { get; }
                public static int Roll => Random.Shared.Next();
                public static string Host() => Environment.MachineName;
            }

            [MutationSet]
            public static partial class Things
            {
                [Mutation]
                static void Add(IMutationContext c)
                {
                    var ids = [|new Ids()|];
                    int n = [|Ids.Roll|];
                    Func<string> host = [|Ids.Host|];
                }
            }
            """;
        (string text, IReadOnlyList<TextSpan> marks) = MarkedSource.Strip(source);
        var diagnostics = await GeneratorHarness.AllDiagnosticsAsync(text);
        Assert.Equal(marks[0], Assert.Single(diagnostics, d => d.Id == "SQLSYNC0013").Location.SourceSpan);
        Assert.Equal(marks[1], Assert.Single(diagnostics, d => d.Id == "SQLSYNC0014").Location.SourceSpan);
        Assert.Equal(marks[2], Assert.Single(diagnostics, d => d.Id == "SQLSYNC0015").Location.SourceSpan);
        Assert.Contains("through 'Ids constructor'", diagnostics.Single(d => d.Id == "SQLSYNC0013").GetMessage(), StringComparison.Ordinal);
        Assert.Contains("'c.NextInt64()'", diagnostics.Single(d => d.Id == "SQLSYNC0014").GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecursionEndsAndEachUseIsReportedOncePerCallSite()
    {
        const string source = Usings + """
            public static class Loop
            {
                public static int Ping(int n) => n <= 0 ? DateTime.Now.Second : Pong(n - 1) + DateTime.UtcNow.Second;
                public static int Pong(int n) => Ping(n - 1);
            }

            [MutationSet]
            public static partial class L
            {
                [Mutation]
                static void Go(IMutationContext context) => context.Execute("SELECT ?1", [|Loop.Pong(3)|]);
            }
            """;
        (string text, IReadOnlyList<TextSpan> marks) = MarkedSource.Strip(source);
        var diagnostics = (await GeneratorHarness.AllDiagnosticsAsync(text)).Where(d => d.Id == "SQLSYNC0012").ToArray();
        Assert.Equal(2, diagnostics.Length); // DateTime.Now and DateTime.UtcNow, each once
        Assert.All(diagnostics, d => Assert.Equal(marks[0], d.Location.SourceSpan));
        Assert.All(diagnostics, d => Assert.Contains("through 'Loop.Pong → Loop.Ping'", d.GetMessage(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeterministicHelpersAndUncalledOnesAreQuiet()
    {
        const string source = Usings + """
            public static class Text
            {
                public static string Upper(string s) => s.ToUpperInvariant();
                public static DateTime NeverCalled() => DateTime.Now;
            }

            [MutationSet]
            public static partial class Quiet
            {
                [Mutation]
                static void Add(IMutationContext context, string s) => context.Execute("INSERT INTO t VALUES (?1, ?2)", Text.Upper(s), context.Now);
            }
            """;
        Assert.Empty(await GeneratorHarness.AllDiagnosticsAsync(source));
    }

    [Fact]
    public async Task DirectUsesNameTheContextParameterAsWritten()
    {
        const string source = Usings + """
            [MutationSet]
            public static partial class Direct
            {
                [Mutation]
                static void Add(IMutationContext db) => db.Execute("INSERT INTO t VALUES (?1)", [|Guid.NewGuid()|]);
            }
            """;
        Diagnostic diagnostic = await SingleAtMarkAsync(source, "SQLSYNC0013");
        Assert.Equal("Mutation 'Direct.Add' uses 'Guid.NewGuid', which differs on every replica; use 'db.NewGuid()', derived from the mutation's timeline and LSN", diagnostic.GetMessage());
    }

    private static async Task<Diagnostic> SingleAtMarkAsync(string marked, string id)
    {
        (string text, IReadOnlyList<TextSpan> marks) = MarkedSource.Strip(marked);
        var diagnostics = await GeneratorHarness.AllDiagnosticsAsync(text);
        Diagnostic diagnostic = Assert.Single(diagnostics, d => d.Id == id);
        Assert.Equal(Assert.Single(marks), diagnostic.Location.SourceSpan);
        Assert.Equal(diagnostics.Length, diagnostics.Count(d => d.Id == id));
        return diagnostic;
    }
}
