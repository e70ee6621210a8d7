using SqlSync.Mutations;

namespace TodoApp.V2;

/// <summary>
/// Version 2 of the TodoApp's mutations: todos get a due date and a priority. Migration 2 adds the columns;
/// <c>AddTodo</c> takes them, and its version 1 shape stays as the <c>[Obsolete]</c> <see cref="AddTodoV1"/> under
/// its shipped tag so that records written by version 1 apps still decode and replay. Every other shipped
/// mutation is unchanged. (This class lives in namespace <c>TodoApp.V2</c> so that both versions run side by
/// side in one process; a namespace change moves derived tags, so the shipped ones are pinned, as the fix of
/// SQLSYNC0032 does. In your own app you edit the version 1 file in place and pin nothing.)
/// </summary>
[MutationSet]
public static partial class TodoMutations
{
    /// <summary>Priorities run from 0 (none, what version 1 todos get) to 3 (urgent).</summary>
    public const int HighestPriority = 3;

    /// <summary>Creates an empty todos table.</summary>
    [Migration(1)]
    public static void CreateTodos(IMutationContext context) => CreateSchema(context);

    /// <summary>Adds the due date and the priority: additive (decision 0021), so version 1 mutations still work.</summary>
    [Migration(2)]
    public static void AddDueDateAndPriority(IMutationContext context)
    {
        context.Execute("ALTER TABLE todos ADD COLUMN due TEXT");
        context.Execute("ALTER TABLE todos ADD COLUMN priority INTEGER NOT NULL DEFAULT 0");
    }

    /// <summary>Version 1 created the table with this mutation; kept for records in version 1 journals (the migrations create it now).</summary>
    [Mutation(0x0FE65EB3u)]
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

    /// <summary>The shape of 'AddTodo' shipped under tag 0x585E5DA7: kept so that records already in journals still decode and replay.</summary>
    [global::System.Obsolete("Shipped shape of 'AddTodo' (tag 0x585E5DA7), kept for records already in journals; use 'AddTodo'.")]
    [Mutation(0x585E5DA7u)]
    public static void AddTodoV1(IMutationContext context, global::System.Guid id, string title) =>
        AddTodo(context, id: id, title: title, due: default!, priority: default!);

    /// <summary>Adds a todo at the end of the list, with an optional due date and a priority; an empty title or a priority out of range is rejected.</summary>
    [Mutation(0xBB88FA4Fu)]
    public static void AddTodo(IMutationContext context, Guid id, string title, DateOnly? due, int priority)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new ArgumentException("A todo needs a title.", nameof(title));
        }

        RequirePriority(priority);
        context.Execute(
            "INSERT INTO todos(id, title, position, created_at, updated_at, due, priority) " +
            "VALUES(?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM todos), ?3, ?3, ?4, ?5)",
            id, title.Trim(), context.Now, due, priority);
    }

    /// <summary>Changes a todo's priority; a missing todo or a priority out of range is rejected.</summary>
    [Mutation(0x0E1BFB5Au)]
    public static void SetPriority(IMutationContext context, Guid id, int priority)
    {
        RequirePriority(priority);
        Require(context.Execute("UPDATE todos SET priority = ?2, updated_at = ?3 WHERE id = ?1", id, priority, context.Now), id);
    }

    /// <summary>Sets or clears (null) a todo's due date; a missing todo is rejected.</summary>
    [Mutation(0x40BA3614u)]
    public static void SetDue(IMutationContext context, Guid id, DateOnly? due)
    {
        Require(context.Execute("UPDATE todos SET due = ?2, updated_at = ?3 WHERE id = ?1", id, due, context.Now), id);
    }

    /// <summary>Changes a todo's title; a missing todo or an empty title is rejected.</summary>
    [Mutation(0x91AB38AEu)]
    public static void RenameTodo(IMutationContext context, Guid id, string title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new ArgumentException("A todo needs a title.", nameof(title));
        }

        Require(context.Execute("UPDATE todos SET title = ?2, updated_at = ?3 WHERE id = ?1", id, title.Trim(), context.Now), id);
    }

    /// <summary>Marks a todo done, or not done again; a missing todo is rejected.</summary>
    [Mutation(0x5AF61320u)]
    public static void ToggleTodo(IMutationContext context, Guid id)
    {
        Require(context.Execute("UPDATE todos SET done = 1 - done, updated_at = ?2 WHERE id = ?1", id, context.Now), id);
    }

    /// <summary>Moves a todo to <paramref name="position"/> (lists sort by position; place it between two others with their mean).</summary>
    [Mutation(0xC10329F1u)]
    public static void MoveTodo(IMutationContext context, Guid id, double position)
    {
        if (!double.IsFinite(position))
        {
            throw new ArgumentOutOfRangeException(nameof(position), "A position is a finite number.");
        }

        Require(context.Execute("UPDATE todos SET position = ?2, updated_at = ?3 WHERE id = ?1", id, position, context.Now), id);
    }

    /// <summary>Deletes a todo; deleting one that is already gone does nothing, so two people may delete it at once.</summary>
    [Mutation(0x4238DA97u)]
    public static void DeleteTodo(IMutationContext context, Guid id)
    {
        context.Execute("DELETE FROM todos WHERE id = ?1", id);
    }

    /// <summary>Deletes every done todo.</summary>
    [Mutation(0x2E78BDCEu)]
    public static void ClearCompleted(IMutationContext context)
    {
        context.Execute("DELETE FROM todos WHERE done = 1");
    }

    private static void RequirePriority(int priority)
    {
        if (priority is < 0 or > HighestPriority)
        {
            throw new ArgumentOutOfRangeException(nameof(priority), "A priority is 0 (none) to " + HighestPriority + " (urgent).");
        }
    }

    private static void Require(int changed, Guid id)
    {
        if (changed == 0)
        {
            throw new InvalidOperationException("There is no todo " + id.ToString("D") + ".");
        }
    }
}
