using SqlSync.Generated.Tests.Mutations;
using SqlSync.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>The generated reducer decodes a record and calls its method; bad records fail with clear errors.</summary>
[Trait("Category", "Generated")]
public sealed class ReducerTests
{
    private static readonly Guid Id = new("0f8fad5b-d9cb-469f-a165-70867728950e");

    [Fact]
    public void AppliesEachMutationThroughItsMethod()
    {
        var context = new RecordingContext();
        TodoMutations.Reducer.Instance.Apply(context, new TodoMutations.AddTodoMutation(Id, "milk").Encode());
        TodoMutations.Reducer.Instance.Apply(context, new TodoMutations.CompleteTodoMutation(Id, true).Encode());

        Assert.Equal(2, context.Statements.Count);
        Assert.StartsWith("INSERT INTO todos", context.Statements[0].Sql, StringComparison.Ordinal);
        Assert.Equal(new object?[] { Id, "milk", context.Now }, context.Statements[0].Args);
        Assert.Equal(new object?[] { Id, true }, context.Statements[1].Args);
    }

    [Fact]
    public void AnUnknownTagNamesTheTagAndTheClass()
    {
        byte[] record = [0xEF, 0xBE, 0xAD, 0xDE];
        var error = Assert.Throws<SqlSyncException>(() => TodoMutations.Reducer.Instance.Apply(new RecordingContext(), record));
        Assert.Equal(SqlSyncErrorCode.UnknownMutationTag, error.Code);
        Assert.Contains("0xDEADBEEF", error.Message, StringComparison.Ordinal);
        Assert.Contains("SqlSync.Generated.Tests.Mutations.TodoMutations", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedRecordNamesTheMutationAndItsTag()
    {
        byte[] whole = new TodoMutations.AddTodoMutation(Id, "milk").Encode();
        for (int length = 0; length < whole.Length; length++)
        {
            var error = Assert.Throws<SqlSyncException>(() => TodoMutations.Reducer.Instance.Apply(new RecordingContext(), whole.AsSpan(0, length)));
            Assert.Equal(SqlSyncErrorCode.MalformedMutation, error.Code);
            Assert.Contains("TodoMutations", error.Message, StringComparison.Ordinal);
            if (length >= 4)
            {
                Assert.Contains($"TodoMutations.AddTodo (tag 0x{TodoMutations.AddTodoMutation.MutationTag:X8})", error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void TrailingBytesAreMalformed()
    {
        byte[] longer = [.. new TodoMutations.CompleteTodoMutation(Id, false).Encode(), 0];
        var error = Assert.Throws<SqlSyncException>(() => TodoMutations.Reducer.Instance.Apply(new RecordingContext(), longer));
        Assert.Equal(SqlSyncErrorCode.MalformedMutation, error.Code);
    }

    [Fact]
    public void TheReducerListsItsTagsInOrder()
    {
        Assert.Equal(TodoMutations.Reducer.Tags.Order(), TodoMutations.Reducer.Tags);
        Assert.Contains(0x101u, TodoMutations.Reducer.Tags);
        Assert.Contains(TodoMutations.AddTodoMutation.MutationTag, TodoMutations.Reducer.Tags);
    }

    [Fact]
    public void TheDerivedTagIsFnv1aOfTheQualifiedMethodName()
    {
        uint hash = 2166136261;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes("SqlSync.Generated.Tests.Mutations.TodoMutations.AddTodo"))
        {
            hash = unchecked((hash ^ b) * 16777619);
        }

        Assert.Equal(TodoMutations.AddTodoMutation.MutationTag, hash);
    }

    [Fact]
    public async Task TypedCallsMakeTheRecordOnTheTarget()
    {
        var target = new RecordingTarget();
        Assert.Equal(1UL, target.AddTodo(Id, "milk").Value);
        Assert.Equal(2UL, (await target.CompleteTodoAsync(Id, true)).Value);
        Assert.Equal(3UL, target.Mutate(new TodoMutations.RenameTodosMutation([Id], null, ["x"])).Value);

        Assert.Equal(new TodoMutations.AddTodoMutation(Id, "milk"), target.Mutations[0]);
        Assert.Equal(new TodoMutations.CompleteTodoMutation(Id, true), target.Mutations[1]);
        Assert.Equal(new TodoMutations.RenameTodosMutation(new List<Guid> { Id }, null, ["x"]), target.Mutations[2]);
    }
}
