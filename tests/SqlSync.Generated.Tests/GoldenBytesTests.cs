using System.Runtime.CompilerServices;
using SqlSync.Generated.Tests.Mutations;
using SqlSync.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>
/// Records whose encodings are committed under TestData/golden: any change to the binary form fails
/// here loudly. A deliberate format change is accepted with SQLSYNC_ACCEPT_SNAPSHOTS=1 (and a new
/// format version in docs/formats.md).
/// </summary>
[Trait("Category", "Generated")]
public sealed class GoldenBytesTests
{
    private static readonly Guid Id = new("0f8fad5b-d9cb-469f-a165-70867728950e");

    public static TheoryData<string> Names => new(Records.Keys.Order());

    private static readonly Dictionary<string, IMutation> Records = new()
    {
        ["complete-todo"] = new TodoMutations.CompleteTodoMutation(Id, true),
        ["add-todo"] = new TodoMutations.AddTodoMutation(Id, "milk 🥛"),
        ["rename-todos"] = new TodoMutations.RenameTodosMutation([Id, Guid.Empty], "x", ["", "é"]),
        ["integers"] = new ValueMutations.IntegersMutation(true, 255, -128, short.MinValue, ushort.MaxValue, -2, 3_000_000_000, long.MinValue, ulong.MaxValue),
        ["reals"] = new ValueMutations.RealsMutation(-0.0f, double.NaN, -1.50m),
        ["times"] = new ValueMutations.TimesMutation(new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc),
            new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.FromMinutes(-330)), TimeSpan.FromMilliseconds(-1.5),
            new DateOnly(2024, 2, 29), new TimeOnly(23, 59, 59), Id),
        ["nullables"] = new ValueMutations.NullablesMutation(null, new DateTime(1, 1, 1), null, Priority.Low, 0.001m),
        ["objects"] = new ValueMutations.ObjectsMutation(new Point(1, 2.5, null), null, new Polygon([new Point(-1, 0, "a")], Priority.High), null, Priority.Normal),
    };

    [Fact]
    public void CompleteTodoHasTheDocumentedLayout()
    {
        // tag 0x00000101 LE | Guid in RFC 9562 byte order | bool
        Assert.Equal("01010000" + "0F8FAD5BD9CB469FA16570867728950E" + "01", Convert.ToHexString(Records["complete-todo"].Encode()));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EncodingMatchesTheCommittedBytes(string name)
    {
        string actual = Convert.ToHexString(Records[name].Encode());
        string path = Path.Combine(SourceDirectory(), "TestData", "golden", name + ".hex");
        if (Environment.GetEnvironmentVariable("SQLSYNC_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual + "\n");
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; run with SQLSYNC_ACCEPT_SNAPSHOTS=1 to create it.");
        string expected = File.ReadAllText(path).Trim();
        Assert.True(expected == actual, $"The encoding of '{name}' changed.\nexpected {expected}\nactual   {actual}\nA change of the binary form breaks every journal already written.");
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}

/// <summary>Encodes a record to a new array.</summary>
internal static class MutationEncoding
{
    public static byte[] Encode(this IMutation mutation)
    {
        var writer = new MutationWriter();
        mutation.WriteTo(writer);
        return writer.ToArray();
    }
}
