using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using SqlSync.Testing.Snapshots;

namespace SqlSync.Testing;

/// <summary>
/// The source SqlSync's generator wrote for a mutations class, read back from the user's own compiled
/// assembly: the C# compiler embeds every source-generated file in the portable PDB (beside the
/// assembly, or embedded in it), so the snapshot is exactly what was compiled, with no generator run
/// and no project setting (docs/decisions/0003-generated-source-snapshots.md).
/// </summary>
public static class GeneratedSource
{
    /// <summary>The generated files of <paramref name="mutationSet"/> (a <c>[MutationSet]</c> class), as snapshot text.</summary>
    public static string For(Type mutationSet)
    {
        ArgumentNullException.ThrowIfNull(mutationSet);
        string hintName = HintNameOf(mutationSet);
        IReadOnlyList<GeneratedFile> files = GeneratedFileReader.Read(mutationSet.Assembly);
        GeneratedFile[] matching = files.Where(f => f.HintName == hintName).ToArray();
        if (matching.Length == 0)
        {
            string found = files.Count == 0 ? "none" : string.Join(", ", files.Select(f => f.HintName));
            throw new InvalidOperationException(
                $"The debug information of {mutationSet.Assembly.GetName().Name} holds no file SqlSync's generator wrote for " +
                $"{mutationSet.FullName} (expected {hintName}). Is the class marked [MutationSet] and does the project reference " +
                $"the SqlSync.Runtime package (which brings the generator)? Generated files found: {found}.");
        }

        return Format(matching);
    }

    /// <summary>Every file SqlSync's generator wrote into <paramref name="assembly"/>, ordered by hint name, as snapshot text.</summary>
    public static string ForAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return Format(GeneratedFileReader.Read(assembly));
    }

    /// <summary>
    /// Checks the generated source of <paramref name="mutationSet"/> against <c>{name}.verified.cs</c> beside
    /// the calling test file (default name: <c>{Class}.generated</c>).
    /// </summary>
    /// <param name="mutationSet">The <c>[MutationSet]</c> class.</param>
    /// <param name="name">The snapshot's name; null for <c>{Class}.generated</c>.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    public static void Verify(Type mutationSet, string? name = null, [CallerFilePath] string callerFile = "")
    {
        ArgumentNullException.ThrowIfNull(mutationSet);
        SnapshotAssert.Matches(For(mutationSet), name ?? mutationSet.Name + ".generated", "cs", callerFile);
    }

    /// <summary>
    /// The snapshot form of generated files: each as a <c>// ==== hint name ====</c> header and its text,
    /// in ordinal order of hint names, so neither file order nor method order can change it.
    /// </summary>
    public static string Format(IEnumerable<GeneratedFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var text = new StringBuilder();
        foreach (GeneratedFile file in files.OrderBy(f => f.HintName, StringComparer.Ordinal))
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append("// ==== ").Append(file.HintName).Append(" ====\n").Append(file.Text);
        }

        return text.ToString();
    }

    /// <summary>The generator's hint name for a class: namespace, containing types and name joined by dots, then <c>.g.cs</c>.</summary>
    internal static string HintNameOf(Type mutationSet) => mutationSet.FullName!.Replace('+', '.') + ".g.cs";
}
