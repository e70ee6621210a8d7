namespace SqlSync.Generators.Tests.Inputs;

/// <summary>
/// Minimal invalid inputs, one per diagnostic. <c>[|</c> and <c>|]</c> mark where the diagnostic must be
/// reported; <see cref="MarkedSource"/> strips them.
/// </summary>
internal static class InvalidSources
{
    private const string Usings = "using System;\nusing System.Collections.Generic;\nusing SqlSync.Mutations;\n";

    public static readonly (string Id, string Source)[] Cases =
    [
        ("SQLSYNC0001", Usings + "[MutationSet] public static class [|NotPartial|] { }"),
        ("SQLSYNC0001", Usings + "public class Outer { [MutationSet] public static partial class [|InNonPartial|] { } }"),
        ("SQLSYNC0002", Usings + "[MutationSet] public partial class [|NotStatic|] { }"),
        ("SQLSYNC0003", Usings + "[MutationSet] public static partial class [|Generic|]<T> { }"),
        ("SQLSYNC0003", Usings + "public partial class Outer<T> { [MutationSet] public static partial class [|InGeneric|] { } }"),
        ("SQLSYNC0004", Usings + "[MutationSet] public partial class C { [Mutation] void [|Instance|](IMutationContext context) { } }"),
        ("SQLSYNC0005", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(int [|x|]) { } }"),
        ("SQLSYNC0005", Usings + "[MutationSet] public static partial class C { [Mutation] static void [|M|]() { } }"),
        ("SQLSYNC0006", Usings + "[MutationSet] public static partial class C { [Mutation] static int [|M|](IMutationContext context) => 0; }"),
        ("SQLSYNC0007", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context, object [|value|]) { } }"),
        ("SQLSYNC0007", Usings + "public sealed record Node(int Value, Node? Next);\n[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context, Node [|head|]) { } }"),
        ("SQLSYNC0007", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context, Dictionary<string, int> [|map|], ref int [|count|]) { } }"),
        ("SQLSYNC0008", Usings + "[MutationSet] public static partial class C { [Mutation(7)] static void [|A|](IMutationContext context) { } [Mutation(7)] static void [|B|](IMutationContext context) { } }"),
        ("SQLSYNC0009", Usings + "[MutationSet] public static partial class C { [Mutation] static void [|A|](IMutationContext context) { } [Mutation] static void [|A|](IMutationContext context, int x) { } }"),
        ("SQLSYNC0009", Usings + "[MutationSet] public static partial class C { [Mutation] static void [|A|](IMutationContext context) { } public sealed class AMutation { } }"),
        ("SQLSYNC0009", Usings + "[MutationSet] public static partial class C { [Mutation] static void [|A|](IMutationContext context, int equals) { } }"),
        ("SQLSYNC0010", Usings + "public static class NoSet { [Mutation] static void [|M|](IMutationContext context) { } }"),
        ("SQLSYNC0011", Usings + "[MutationSet] public static partial class C { [Mutation] static void [|M|]<T>(IMutationContext context) { } }"),
        ("SQLSYNC0012", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context) { var a = [|DateTime.Now|]; var b = [|DateTimeOffset.UtcNow|]; var s = [|System.Diagnostics.Stopwatch.StartNew()|]; } }"),
        ("SQLSYNC0013", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context) { Func<Guid> f = () => [|Guid.NewGuid()|]; } }"),
        ("SQLSYNC0014", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context) { var r = [|new Random()|]; int n = [|Random.Shared.Next()|]; } }"),
        ("SQLSYNC0015", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context) { string name = [|Environment.MachineName|]; } }"),
        ("SQLSYNC0016", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context) { string text = [|System.IO.File.ReadAllText(\"x\")|]; var http = [|new System.Net.Http.HttpClient()|]; } }"),
        ("SQLSYNC0017", Usings + "[MutationSet] public static partial class C { [Mutation] static void M(IMutationContext context) { [|System.Threading.Thread.Sleep(1)|]; } }"),
    ];

    /// <summary>Every case's source, markers stripped, in one compilation (each case in its own namespace).</summary>
    public static string[] All => Cases.Select((c, i) => MarkedSource.Strip(c.Source).Text.Replace(Usings, Usings + $"namespace Case{i};\n", StringComparison.Ordinal)).ToArray();
}
