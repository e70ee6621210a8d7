using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Tests.Inputs;

namespace SqlSync.Generators.Tests;

/// <summary>The pipeline caches: second runs and unrelated edits do no work, and models hold only plain data.</summary>
[Trait("Category", "Incremental")]
public sealed class IncrementalTests
{
    [Fact]
    public void ASecondRunOnAClonedCompilationIsCachedForEveryNamedStep()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(TestSources.Todo, TestSources.AllTypes);
        (GeneratorDriver driver, GeneratorDriverRunResult first, _) = GeneratorHarness.Run(compilation);
        (_, GeneratorDriverRunResult second, _) = GeneratorHarness.Run(compilation.Clone(), driver);

        AssertAllCached(first, second);
    }

    [Fact]
    public void AnUnrelatedEditDoesNotRegenerate()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(TestSources.Todo, "public static class Unrelated { public static int Value => 1; }");
        (GeneratorDriver driver, GeneratorDriverRunResult first, _) = GeneratorHarness.Run(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Last();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("public static class Unrelated { public static int Value => 2; }", GeneratorHarness.ParseOptions, unrelated.FilePath));
        (_, GeneratorDriverRunResult second, _) = GeneratorHarness.Run(edited, driver);

        AssertAllCached(first, second);
        Assert.All(second.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Contains(output.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void AnEditToAMutationRegeneratesIt()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(TestSources.Todo);
        (GeneratorDriver driver, _, _) = GeneratorHarness.Run(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(TestSources.Todo.Replace("string title", "string name", StringComparison.Ordinal), GeneratorHarness.ParseOptions, tree.FilePath));
        (_, GeneratorDriverRunResult second, _) = GeneratorHarness.Run(edited, driver);

        Assert.Contains(second.Results[0].TrackedSteps[TrackingNames.MutationSetSpecs].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void ModelsHoldNoSymbolsSyntaxLocationsOrCompilations()
    {
        (_, GeneratorDriverRunResult result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.AllTypes, TestSources.Nested, InvalidSources.All[9]));
        foreach (string step in TrackingNames.All)
        {
            if (!result.Results[0].TrackedSteps.TryGetValue(step, out var runs))
            {
                continue;
            }

            foreach (object value in runs.SelectMany(r => r.Outputs).Select(o => o.Value))
            {
                AssertPlainData(value, step, []);
            }
        }
    }

    [Fact]
    public void ReorderedMethodsAndFilesGiveIdenticalOutput()
    {
        const string head = "using System;\nusing SqlSync.Mutations;\nnamespace App;\n";
        const string first = head + "[MutationSet] public static partial class M { [Mutation] static void Alpha(IMutationContext c, int a) { } [Mutation] static void Beta(IMutationContext c, string b) { } }";
        const string second = head + "public static partial class M { [Mutation] static void Gamma(IMutationContext c, int[] g) { } [Mutation(5)] static void Delta(IMutationContext c, Guid? d) { } }";
        const string firstReordered = head + "[MutationSet] public static partial class M { [Mutation] static void Beta(IMutationContext c, string b) { } [Mutation] static void Alpha(IMutationContext c, int a) { } }";
        const string secondReordered = head + "public static partial class M { [Mutation(5)] static void Delta(IMutationContext c, Guid? d) { } [Mutation] static void Gamma(IMutationContext c, int[] g) { } }";
        const string other = head + "[MutationSet] public static partial class Other { [Mutation] static void Zeta(IMutationContext c, decimal z) { } }";

        string original = GeneratorHarness.GeneratedText(GeneratorHarness.Run(GeneratorHarness.Compile(first, second, other)).Result);
        string reordered = GeneratorHarness.GeneratedText(GeneratorHarness.Run(GeneratorHarness.Compile(other, secondReordered, firstReordered)).Result);

        Assert.Contains("GammaMutation", original, StringComparison.Ordinal);
        Assert.Equal(original, reordered);
    }

    private static void AssertAllCached(GeneratorDriverRunResult first, GeneratorDriverRunResult second)
    {
        var firstSteps = first.Results[0].TrackedSteps;
        var secondSteps = second.Results[0].TrackedSteps;
        foreach (string step in new[] { TrackingNames.MutationSetResults, TrackingNames.MutationSetSpecs, TrackingNames.MutationSetDiagnostics })
        {
            Assert.True(secondSteps.ContainsKey(step), $"Step {step} did not run.");
            Assert.Equal(firstSteps[step].Length, secondSteps[step].Length);
            Assert.All(secondSteps[step].SelectMany(run => run.Outputs), output =>
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {output.Reason}"));
        }
    }

    private static readonly Type[] Banned = [typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree)];

    private static void AssertPlainData(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        Type type = value.GetType();
        Assert.False(Banned.Any(b => b.IsAssignableFrom(type)), $"{path} holds a {type.Name}.");
        if (value is DiagnosticDescriptor)
        {
            return;
        }

        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertPlainData(item, path + "[]", seen);
            }
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertPlainData(field.GetValue(value), path + "." + field.Name, seen);
        }
    }
}
