using static TodoApp.TodoMutations;

namespace TodoApp.Tests;

/// <summary>What each todo mutation does to the database, as committed snapshots (<c>TodoScenarioTests.*.verified.txt</c>).</summary>
[Trait("Category", "Testing")]
public sealed class TodoScenarioTests
{
    /// <summary>A list with three todos, the scene most scenarios start from.</summary>
    private static readonly MutationScenario ThreeTodos = MutationScenario.For(Reducer.Instance).Given(
        new CreateSchemaMutation(),
        new AddTodoMutation(TodoIds.Milk, "Buy milk"),
        new AddTodoMutation(TodoIds.Bread, "Buy bread"),
        new AddTodoMutation(TodoIds.Eggs, "Buy eggs"));

    [Fact]
    public void CreateSchema() => MutationScenario.For(Reducer.Instance)
        .When(new CreateSchemaMutation())
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(CreateSchema)}");

    [Fact]
    public void AddTodo() => MutationScenario.For(Reducer.Instance)
        .Given(new CreateSchemaMutation())
        .When(new AddTodoMutation(TodoIds.Milk, "  Buy milk  "), new AddTodoMutation(TodoIds.Bread, "Buy 'good' bread"))
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(AddTodo)}");

    [Fact]
    public void RenameTodo() => ThreeTodos
        .When(new RenameTodoMutation(TodoIds.Bread, "Buy rye bread"))
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(RenameTodo)}");

    [Fact]
    public void ToggleTodo() => ThreeTodos
        .When(new ToggleTodoMutation(TodoIds.Milk), new ToggleTodoMutation(TodoIds.Eggs), new ToggleTodoMutation(TodoIds.Eggs))
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(ToggleTodo)}");

    [Fact]
    public void MoveTodo() => ThreeTodos
        .When(new MoveTodoMutation(TodoIds.Eggs, 0.5), new MoveTodoMutation(TodoIds.Milk, 2.1))
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(MoveTodo)}");

    [Fact]
    public void DeleteTodo() => ThreeTodos
        .When(new DeleteTodoMutation(TodoIds.Bread), new DeleteTodoMutation(TodoIds.Bread))
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(DeleteTodo)}");

    [Fact]
    public void ClearCompleted() => ThreeTodos
        .When(new ToggleTodoMutation(TodoIds.Milk), new ToggleTodoMutation(TodoIds.Eggs), new ClearCompletedMutation())
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(ClearCompleted)}");

    [Fact]
    public void Rejected_mutations_leave_the_list_unchanged() => ThreeTodos
        .When(
            new RenameTodoMutation(TodoIds.Missing, "Nothing to rename"),
            new AddTodoMutation(TodoIds.Missing, "   "),
            new MoveTodoMutation(TodoIds.Milk, double.NaN),
            new ToggleTodoMutation(TodoIds.Bread))
        .Verify($"{nameof(TodoScenarioTests)}.{nameof(Rejected_mutations_leave_the_list_unchanged)}");
}
