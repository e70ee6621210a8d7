using SqlSync.Journals;
using TodoApp;

namespace TodoApp.Tests;

/// <summary>The terminal client's polish (issue 15, point 7): the screen keeps a half-typed line, follows the status, prints no no-op update, and rejections name the item.</summary>
public sealed class TerminalClientTests
{
    [Fact]
    [Trait("Category", "FirstHour")]
    public void AnUpdateArrivingWhileTypingKeepsTheHalfTypedLine()
    {
        using var output = new StringWriter();
        var screen = new TodoScreen(output);
        screen.SetStatus("up to date");
        foreach (char c in "add mi")
        {
            screen.Type(c);
        }

        Assert.True(screen.ShowList("     1. [ ] Bread\n", "updated from the server"));
        string text = output.ToString();
        Assert.EndsWith("[up to date] > add mi", text, StringComparison.Ordinal); // the input line, redrawn intact below the update
        Assert.Contains("\r" + new string(' ', "[up to date] > add mi".Length) + "\r(updated from the server)\n     1. [ ] Bread\n", text, StringComparison.Ordinal);
        Assert.Equal("add mi", screen.Input);
        foreach (char c in "lk")
        {
            screen.Type(c);
        }

        Assert.Equal("add milk", screen.Submit());
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public void TheStatusRedrawsThePromptAndANoOpUpdatePrintsNothing()
    {
        using var output = new StringWriter();
        var screen = new TodoScreen(output);
        Assert.True(screen.ShowList("    (no todos)\n", null));
        screen.Type('x');
        screen.SetStatus("offline, 2 pending");
        Assert.EndsWith("[offline, 2 pending] > x", output.ToString(), StringComparison.Ordinal);

        int before = output.ToString().Length;
        Assert.False(screen.ShowList("    (no todos)\n", "updated from the server"));
        screen.SetStatus("offline, 2 pending");
        Assert.Equal(before, output.ToString().Length);
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public void ARejectionNamesTheChangeAndTheItemNotAGuid()
    {
        var changes = new ChangeLog();
        changes.Record(new Lsn(7), "renaming 'Milk' to 'Oat milk'");
        string error = $"RenameTodo: InvalidOperationException: There is no todo {Guid.NewGuid():D}.";
        string message = $"! the server rejected {changes.Describe(new Lsn(7))}: {ChangeLog.Reason(error)}";
        Assert.Equal("! the server rejected renaming 'Milk' to 'Oat milk': the item no longer exists (deleted elsewhere)", message);
        Assert.Equal("change #8", changes.Describe(new Lsn(8)));
        Assert.Equal("title too long", ChangeLog.Reason("AddTodo: ArgumentException: title too long"));
    }
}
