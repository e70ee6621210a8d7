using SqlSync.Mutations;

namespace TodoApp;

/// <summary>
/// The mutations of a shared todo list, for the TodoApp example and its tests. Every change to the list is
/// one of these; the generator turns each into a record (<c>AddTodoMutation</c>, …), the
/// <c>Reducer</c> and typed <c>doc.AddTodo(...)</c> calls. Ids are made by the caller, times come from
/// <c>context.Now</c>, so every replica writes the same rows.
/// </summary>
[MutationSet]
public static partial class TodoMutations
{
    /// <summary>Creates the todos table; safe to run again.</summary>
    [Mutation]
    public static void CreateSchema(IMutationContext context)
    {
        context.Execute("""
            CREATE TABLE IF NOT EXISTS todos(
                id TEXT PRIMARY KEY NOT NULL,
                title TEXT NOT NULL,
                done INTEGER NOT NULL DEFAULT 0,
                position REAL NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)
            """);
        context.Execute("CREATE INDEX IF NOT EXISTS todos_by_position ON todos(position)");
    }

    /// <summary>Adds a todo at the end of the list; an empty title is rejected.</summary>
    [Mutation]
    public static void AddTodo(IMutationContext context, Guid id, string title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new ArgumentException("A todo needs a title.", nameof(title));
        }

        context.Execute(
            "INSERT INTO todos(id, title, position, created_at, updated_at) " +
            "VALUES(?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM todos), ?3, ?3)",
            id, title.Trim(), context.Now);
    }

    /// <summary>Changes a todo's title; a missing todo or an empty title is rejected.</summary>
    [Mutation]
    public static void RenameTodo(IMutationContext context, Guid id, string title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new ArgumentException("A todo needs a title.", nameof(title));
        }

        Require(context.Execute("UPDATE todos SET title = ?2, updated_at = ?3 WHERE id = ?1", id, title.Trim(), context.Now), id);
    }

    /// <summary>Marks a todo done, or not done again; a missing todo is rejected.</summary>
    [Mutation]
    public static void ToggleTodo(IMutationContext context, Guid id)
    {
        Require(context.Execute("UPDATE todos SET done = 1 - done, updated_at = ?2 WHERE id = ?1", id, context.Now), id);
    }

    /// <summary>Moves a todo to <paramref name="position"/> (lists sort by position; place it between two others with their mean).</summary>
    [Mutation]
    public static void MoveTodo(IMutationContext context, Guid id, double position)
    {
        if (!double.IsFinite(position))
        {
            throw new ArgumentOutOfRangeException(nameof(position), "A position is a finite number.");
        }

        Require(context.Execute("UPDATE todos SET position = ?2, updated_at = ?3 WHERE id = ?1", id, position, context.Now), id);
    }

    /// <summary>Deletes a todo; deleting one that is already gone does nothing, so two people may delete it at once.</summary>
    [Mutation]
    public static void DeleteTodo(IMutationContext context, Guid id)
    {
        context.Execute("DELETE FROM todos WHERE id = ?1", id);
    }

    /// <summary>Deletes every done todo.</summary>
    [Mutation]
    public static void ClearCompleted(IMutationContext context)
    {
        context.Execute("DELETE FROM todos WHERE done = 1");
    }

    private static void Require(int changed, Guid id)
    {
        if (changed == 0)
        {
            throw new InvalidOperationException("There is no todo " + id.ToString("D") + ".");
        }
    }
}
