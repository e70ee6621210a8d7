namespace TodoApp.Tests;

/// <summary>Every record of <see cref="TodoMutations"/> survives its binary and JSON forms.</summary>
[Trait("Category", "Testing")]
public sealed class RoundTripTests
{
    [Fact]
    public void Every_todo_record_round_trips() => MutationRoundTrip.CheckAll(
        TodoMutations.Reducer.Instance,
        new TodoMutations.CreateSchemaMutation(),
        new TodoMutations.AddTodoMutation(TodoIds.Milk, "Buy milk \"and\" bread"),
        new TodoMutations.RenameTodoMutation(TodoIds.Milk, "Buy oat milk"),
        new TodoMutations.ToggleTodoMutation(TodoIds.Milk),
        new TodoMutations.MoveTodoMutation(TodoIds.Milk, 0.1),
        new TodoMutations.DeleteTodoMutation(TodoIds.Milk),
        new TodoMutations.ClearCompletedMutation());
}
