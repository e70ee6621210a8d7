namespace SqlSync.FirstHour.Tests;

/// <summary>No C# block in the README or docs/ escapes compilation unmarked: each is a Quickstart file or a declared fragment.</summary>
[Trait("Category", "FirstHour")]
public sealed class CodeBlockMarkingTests
{
    [Fact]
    public void EveryCSharpBlockIsAFileOrAFragment()
    {
        IReadOnlyList<MarkdownCode> blocks = MarkdownCode.CSharpBlocks();
        Assert.Contains(blocks, b => b.Document == "README.md" && b.File == "Todo.Client/Program.cs");
        MarkdownCode[] unmarked = blocks.Where(b => b.File is null && !b.IsFragment).ToArray();
        Assert.True(unmarked.Length == 0, "Mark each C# block 'csharp file=PROJECT/FILE' (compiled) or 'csharp fragment' (an excerpt): " + string.Join("; ", unmarked.Select(b => b.ToString())));
    }
}
