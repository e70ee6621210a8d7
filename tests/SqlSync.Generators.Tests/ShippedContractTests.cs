using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SqlSync.Generators.CodeFixes;
using SqlSync.Generators.Helpers;
using SqlSync.Mutations;

namespace SqlSync.Generators.Tests;

/// <summary>
/// The shipped-mutations contract: each violation is reported where it is, each code fix gives code that
/// builds, and records written by the shipped version (golden bytes) still decode and replay after the fix.
/// </summary>
[Trait("Category", "Versioning")]
public sealed class ShippedContractTests
{
    private const string V1 = """
        using SqlSync.Mutations;

        namespace App;

        [MutationSet]
        public static partial class Todos
        {
            [Mutation]
            public static void Add(IMutationContext context, string title, bool done)
            {
                context.Execute("INSERT INTO todos(title, done) VALUES (?, ?)", title, done);
            }
        }
        """;

    private const string Header = "# SqlSync shipped mutations of App.Todos (docs/versioning.md)\n";

    /// <summary>The v1 record <c>Add("milk", true)</c>: tag 0xD30EE616 (FNV-1a of "App.Todos.Add") little-endian, "milk", true.</summary>
    private const string GoldenAddMilk = "16E60ED3046D696C6B01";

    private static readonly string ShippedV1 = Header + "0xD30EE616 Add (String,Boolean) | string title, bool done\n";

    private static readonly string V2ChangedShape = V1.Replace("string title, bool done)", "string title, bool done, int priority)", StringComparison.Ordinal)
        .Replace("VALUES (?, ?)\", title, done)", "VALUES (?, ?)\", title, done + \":\" + priority)", StringComparison.Ordinal);

    [Fact]
    public async Task AClassWithoutAShippedFileHasNoContract()
    {
        ImmutableArray<Diagnostic> diagnostics = await ContractHarness.DiagnosticsAsync(ContractHarness.CreateDocument(V1, shipped: null));
        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task TheShippedV1MatchesAndNothingIsReported()
    {
        Assert.Empty(await ContractHarness.DiagnosticsAsync(ContractHarness.CreateDocument(V1, ShippedV1)));
    }

    [Fact]
    public async Task ANewMutationIsNotedAndRecordingItIsAnExplicitFix()
    {
        Document document = ContractHarness.CreateDocument(V1, Header);
        Diagnostic note = Assert.Single(await ContractHarness.DiagnosticsAsync(document));
        Assert.Equal("SQLSYNC0034 /app/Todos.cs(9,24): Mutation 'App.Todos.Add' (tag 0xD30EE616, shape (String,Boolean)) is not recorded in 'Todos.Shipped.txt'; record it as shipped when you release it",
            ContractHarness.Describe(note));
        Assert.Equal(DiagnosticSeverity.Info, note.Severity);

        (Solution fixedSolution, var action) = await ContractHarness.FixAsync(new RecordAsShippedCodeFixProvider(), document, "SQLSYNC0034");
        Assert.Equal(ShippedContractFixIds.RecordAsShipped, action.EquivalenceKey);
        Document after = fixedSolution.GetDocument(document.Id)!;
        Assert.Equal(ShippedV1, await ContractHarness.ShippedTextAsync(after));
        Assert.Empty(await ContractHarness.DiagnosticsAsync(after));
    }

    [Fact]
    public async Task AChangedShapeIsAnErrorAtTheMethod()
    {
        Diagnostic error = Assert.Single(await ContractHarness.DiagnosticsAsync(ContractHarness.CreateDocument(V2ChangedShape, ShippedV1)));
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Equal("SQLSYNC0030 /app/Todos.cs(9,24): Mutation 'App.Todos.Add' has tag 0xD30EE616, which shipped with the encoded shape (String,Boolean); it now encodes (String,Boolean,Int32), so records of it already in journals would no longer decode. Keep the shipped shape as an [Obsolete] mutation under tag 0xD30EE616 and give the new shape a new tag.",
            ContractHarness.Describe(error));
    }

    [Fact]
    public async Task KeepingTheShippedShapeBuildsAndV1RecordsStillReplay()
    {
        // The golden bytes are what v1 writes: encode with the v1 build and compare.
        (_, Compilation v1Output, _) = await ContractHarness.RunAsync(ContractHarness.CreateDocument(V1, ShippedV1));
        Assembly v1 = ContractHarness.Load(v1Output);
        object v1Record = Activator.CreateInstance(v1.GetType("App.Todos+AddMutation")!, "milk", true)!;
        byte[] golden = Convert.FromHexString(GoldenAddMilk);
        Assert.Equal(golden, (byte[])v1Record.GetType().GetMethod("Encode")!.Invoke(v1Record, null)!);

        Document document = ContractHarness.CreateDocument(V2ChangedShape, ShippedV1);
        (Solution fixedSolution, var action) = await ContractHarness.FixAsync(new KeepShippedShapeCodeFixProvider(), document, "SQLSYNC0030");
        Assert.Equal(ShippedContractFixIds.KeepShippedShape, action.EquivalenceKey);
        Assert.Equal("Keep the shipped shape as [Obsolete] 'AddV1' (tag 0xD30EE616); give 'Add' tag 0x5E277A5E", action.Title);
        Document after = fixedSolution.GetDocument(document.Id)!;
        string text = (await after.GetTextAsync()).ToString();
        Assert.Contains("""
                /// <summary>The shape of 'Add' shipped under tag 0xD30EE616: kept so that records already in journals still decode and replay.</summary>
                [global::System.Obsolete("Shipped shape of 'Add' (tag 0xD30EE616), kept for records already in journals; use 'Add'.")]
                [Mutation(0xD30EE616u)]
                public static void AddV1(IMutationContext context, string title, bool done) =>
                    Add(context, title: title, done: done, priority: default!);

                [Mutation(0x5E277A5Eu)]
                public static void Add(IMutationContext context, string title, bool done, int priority)
            """, text, StringComparison.Ordinal);

        (ImmutableArray<Diagnostic> remaining, Compilation v2Output, _) = await ContractHarness.RunAsync(after);
        Diagnostic note = Assert.Single(remaining);
        Assert.Equal("SQLSYNC0034", note.Id); // the new shape is not shipped yet: an explicit step
        Assembly v2 = ContractHarness.Load(v2Output);

        Type reducerType = v2.GetType("App.Todos+Reducer")!;
        var reducer = (IMutationReducer)reducerType.GetProperty("Instance")!.GetValue(null)!;
        var context = new RecordingContext();
        reducer.Apply(context, golden);
        (string sql, object?[] args) = Assert.Single(context.Executed);
        Assert.Equal("INSERT INTO todos(title, done) VALUES (?, ?)", sql);
        Assert.Equal(new object?[] { "milk", "True:0" }, args);
        Assert.Equal(new uint[] { 0x5E277A5E, 0xD30EE616 }, (IReadOnlyList<uint>)reducerType.GetProperty("Tags")!.GetValue(null)!);
    }

    [Fact]
    public async Task ANamespaceRenameThatMovesADerivedTagIsAnErrorAndPinningFixesIt()
    {
        string renamed = V1.Replace("namespace App;", "namespace App.Renamed;", StringComparison.Ordinal);
        Document document = ContractHarness.CreateDocument(renamed, ShippedV1);
        Diagnostic error = Assert.Single(await ContractHarness.DiagnosticsAsync(document));
        Assert.Equal("SQLSYNC0032 /app/Todos.cs(9,24): Mutation 'App.Renamed.Todos.Add' shipped with tag 0xD30EE616 but its tag is now 0x6772B076 (derived from its full name 'App.Renamed.Todos.Add', which changed); records of it already in journals carry 0xD30EE616. Pin the shipped tag with [Mutation(0xD30EE616u)].",
            ContractHarness.Describe(error));

        (Solution fixedSolution, var action) = await ContractHarness.FixAsync(new PinShippedTagCodeFixProvider(), document, "SQLSYNC0032");
        Assert.Equal(ShippedContractFixIds.PinShippedTag, action.EquivalenceKey);
        Document after = fixedSolution.GetDocument(document.Id)!;
        Assert.Contains("    [Mutation(0xD30EE616u)]\n    public static void Add(", (await after.GetTextAsync()).ToString(), StringComparison.Ordinal);
        (ImmutableArray<Diagnostic> remaining, Compilation output, _) = await ContractHarness.RunAsync(after);
        Assert.Empty(remaining);
        Assembly built = ContractHarness.Load(output);
        var reducer = (IMutationReducer)built.GetType("App.Renamed.Todos+Reducer")!.GetProperty("Instance")!.GetValue(null)!;
        var context = new RecordingContext();
        reducer.Apply(context, Convert.FromHexString(GoldenAddMilk));
        Assert.Equal(new object?[] { "milk", true }, Assert.Single(context.Executed).Args);
    }

    [Fact]
    public async Task ReusingAShippedTagForAnotherShapeIsAnErrorAndTheFixGivesANewTag()
    {
        string reused = V1.Replace("""
            [Mutation]
                public static void Add(IMutationContext context, string title, bool done)
                {
                    context.Execute("INSERT INTO todos(title, done) VALUES (?, ?)", title, done);
                }
            """, """
            [Mutation(0xD30EE616u)]
                public static void Remove(IMutationContext context, int id)
                {
                    context.Execute("DELETE FROM todos WHERE id = ?", id);
                }
            """, StringComparison.Ordinal);
        Assert.NotEqual(V1, reused);
        Document document = ContractHarness.CreateDocument(reused, ShippedV1);
        Diagnostic error = Assert.Single(await ContractHarness.DiagnosticsAsync(document));
        Assert.Equal("SQLSYNC0031 /app/Todos.cs(9,24): Mutation 'App.Todos.Remove' has tag 0xD30EE616, which shipped for mutation 'Add' with the encoded shape (String,Boolean); records of 'Add' in journals would be decoded as 'App.Todos.Remove'. Give 'App.Todos.Remove' another tag.",
            ContractHarness.Describe(error));

        (Solution fixedSolution, _) = await ContractHarness.FixAsync(new PinShippedTagCodeFixProvider(), document, "SQLSYNC0031");
        Document after = fixedSolution.GetDocument(document.Id)!;
        Assert.Contains("[Mutation(0x25D407B2u)]", (await after.GetTextAsync()).ToString(), StringComparison.Ordinal);

        // Now 'Add' is simply gone: that is reported on its line of the shipped file.
        string[] remaining = (await ContractHarness.DiagnosticsAsync(after)).OrderBy(d => d.Id, StringComparer.Ordinal).Select(ContractHarness.Describe).ToArray();
        Assert.Equal(new[]
        {
            "SQLSYNC0033 /app/Todos.Shipped.txt(2,1): Mutation 'Add' (tag 0xD30EE616, shape (String,Boolean)) shipped in 'Todos.Shipped.txt' but no mutation of 'App.Todos' has that tag any more; records of it in journals could not replay. Restore it (it may be [Obsolete]), or delete its line from 'Todos.Shipped.txt' once no journal can hold it.",
            "SQLSYNC0034 /app/Todos.cs(9,24): Mutation 'App.Todos.Remove' (tag 0x25D407B2, shape (Int32)) is not recorded in 'Todos.Shipped.txt'; record it as shipped when you release it",
        }, remaining);
    }

    [Fact]
    public async Task AMalformedLineIsAnErrorOnThatLine()
    {
        Document document = ContractHarness.CreateDocument(V1, ShippedV1 + "\n0xZZ Add (String)\n");
        Diagnostic error = Assert.Single(await ContractHarness.DiagnosticsAsync(document));
        Assert.Equal("SQLSYNC0035 /app/Todos.Shipped.txt(4,1): Line 4 of 'Todos.Shipped.txt' is not '0xTAG Name (Shape) | parameters': '0xZZ Add (String)'",
            ContractHarness.Describe(error));
    }

    [Fact]
    public async Task AShippedFileOfAnotherClassIsIgnored()
    {
        Document document = ContractHarness.CreateDocument(V1, ShippedV1.Replace("Add", "Other", StringComparison.Ordinal), "/app/PublicAPI.Shipped.txt");
        Assert.Empty(await ContractHarness.DiagnosticsAsync(document));
    }

    [Theory]
    [InlineData("int a, string? b, byte[] c", "(Int32,String?,Bytes)")]
    [InlineData("System.Collections.Generic.List<long> a, long[] b, System.Collections.Generic.IReadOnlyList<long> c", "([Int64],[Int64],[Int64])")]
    [InlineData("System.DayOfWeek day, int? n, System.Guid id", "(Int32,Int32?,Guid)")]
    [InlineData("Item item, Item[]? items", "({String,Int32?},[{String,Int32?}]?)")]
    [InlineData("", "()")]
    public async Task ShapesNameOnlyWhatTheBytesDependOn(string parameters, string shape)
    {
        string source = $$"""
            using SqlSync.Mutations;
            namespace App;
            public sealed record Item(string Name, int? Count);
            [MutationSet]
            public static partial class Todos
            {
                [Mutation(0x10u)] public static void M(IMutationContext context{{(parameters.Length > 0 ? ", " + parameters : "")}}) { }
            }
            """;
        Diagnostic note = Assert.Single(await ContractHarness.DiagnosticsAsync(ContractHarness.CreateDocument(source, Header)));
        Assert.StartsWith("0x00000010 M " + shape + " |", note.Properties["Line"], StringComparison.Ordinal);
    }

    [Fact]
    public void TheContractStepsCacheAndAnEditOfTheShippedFileDoesNotRegenerateCode()
    {
        Compilation compilation = GeneratorHarness.Compile(V1);
        AdditionalText shipped = new EditedText(ContractHarness.ShippedPath, ShippedV1);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new MutationGenerator().AsSourceGenerator()], additionalTexts: [shipped], parseOptions: GeneratorHarness.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);

        GeneratorDriverRunResult second = driver.RunGenerators(compilation.Clone()).GetRunResult();
        foreach (string step in new[] { TrackingNames.ShippedFiles, TrackingNames.ContractDiagnostics, TrackingNames.MutationSetSpecs })
        {
            Assert.All(second.Results[0].TrackedSteps[step].SelectMany(s => s.Outputs),
                o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        }

        AdditionalText edited = new EditedText(ContractHarness.ShippedPath, ShippedV1 + "# a comment\n0x00000077 Gone () |\n");
        GeneratorDriverRunResult third = driver.ReplaceAdditionalText(shipped, edited).RunGenerators(compilation).GetRunResult();
        Assert.Contains(third.Results[0].TrackedSteps[TrackingNames.ContractDiagnostics].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(third.Results[0].TrackedSteps[TrackingNames.MutationSetSpecs].SelectMany(s => s.Outputs),
            o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Equal("SQLSYNC0033", Assert.Single(third.Diagnostics).Id);
    }

    private sealed class EditedText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) =>
            Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }
}
