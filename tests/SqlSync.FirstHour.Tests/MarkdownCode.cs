using System.Text.RegularExpressions;

namespace SqlSync.FirstHour.Tests;

/// <summary>
/// The C# blocks of the README and docs/*.md. The info string says what a block is:
/// <c>csharp file=PROJECT/FILE</c> is that file of the Quickstart's projects (compiled and run),
/// <c>csharp fragment</c> an excerpt (not compiled). A plain <c>csharp</c> block is an error: say which.
/// </summary>
internal sealed partial record MarkdownCode(string Document, int Line, string Info, string Text)
{
    public bool IsFragment => Info.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).FirstOrDefault() == "fragment";

    /// <summary>The <c>file=</c> path, or null.</summary>
    public string? File => FileAttribute().Match(Info) is { Success: true } match ? match.Groups[1].Value : null;

    public override string ToString() => $"{Document}:{Line} ({Info})";

    public static IReadOnlyList<MarkdownCode> CSharpBlocks()
    {
        string[] documents = [Path.Combine(RepositoryRoot.Path, "README.md"), .. Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "docs"), "*.md").Order(StringComparer.Ordinal)];
        var blocks = new List<MarkdownCode>();
        foreach (string document in documents)
        {
            string[] lines = System.IO.File.ReadAllLines(document);
            for (int i = 0; i < lines.Length; i++)
            {
                if (!lines[i].StartsWith("```", StringComparison.Ordinal))
                {
                    continue;
                }

                string info = lines[i][3..].Trim();
                int end = Array.FindIndex(lines, i + 1, l => l.StartsWith("```", StringComparison.Ordinal));
                Assert.True(end > i, $"{document}:{i + 1}: a code block that never closes");
                if (info.Split(' ')[0] is "csharp" or "cs" or "c#" or "C#")
                {
                    blocks.Add(new MarkdownCode(Path.GetRelativePath(RepositoryRoot.Path, document), i + 1, info, string.Join('\n', lines[(i + 1)..end]) + "\n"));
                }

                i = end;
            }
        }

        return blocks;
    }

    [GeneratedRegex(@"\bfile=(\S+)")]
    private static partial Regex FileAttribute();
}
