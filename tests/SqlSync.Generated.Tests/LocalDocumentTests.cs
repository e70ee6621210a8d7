using SqlSync.Documents;
using SqlSync.Generated.Tests.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>Generated records, typed calls and reducers applied through a real local document.</summary>
[Trait("Category", "Generated")]
public sealed class LocalDocumentTests
{
    private static readonly Guid Milk = new("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static readonly Guid Bread = new("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    [Fact]
    public async Task GeneratedReducerGivesTheExpectedRows()
    {
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "todos",
            Reducer = TodoMutations.Reducer.Instance,
            FsyncOnAppend = false,
        });

        document.EnsureSchema();
        document.AddTodo(Milk, "milk");
        await document.AddTodoAsync(Bread, "bread");
        await document.MutateAsync(new TodoMutations.CompleteTodoMutation(Milk, true));
        document.Mutate(new TodoMutations.RenameTodosMutation([Bread], "[", ["x", "y"]));

        IReadOnlyList<object?[]> rows = document.Query("SELECT id, title, done FROM todos ORDER BY title");
        Assert.Equal(2, rows.Count);
        Assert.Equal(new object?[] { Bread.ToString("D"), "[breadx,y", 0L }, rows[0]);
        Assert.Equal(new object?[] { Milk.ToString("D"), "milk", 1L }, rows[1]);
        Assert.Equal(5, document.PendingMutationCount);
    }

    [Fact]
    public void AnUnknownTagIsRejectedByTheDocument()
    {
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "todos",
            Reducer = TodoMutations.Reducer.Instance,
            FsyncOnAppend = false,
        });

        var error = Assert.ThrowsAny<SqlSyncException>(() => document.Mutate([0xEF, 0xBE, 0xAD, 0xDE]));
        Assert.Contains("0xDEADBEEF", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, document.PendingMutationCount);
    }
}
