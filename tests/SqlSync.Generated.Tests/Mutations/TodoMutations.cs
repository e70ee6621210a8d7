using SqlSync.Mutations;

namespace SqlSync.Generated.Tests.Mutations;

/// <summary>A typical mutations class: todos in a SQLite table.</summary>
[MutationSet]
public static partial class TodoMutations
{
    /// <summary>The table the mutations write.</summary>
    public const string Schema = "CREATE TABLE todos (id TEXT PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL, created TEXT NOT NULL)";

    [Mutation]
    private static void EnsureSchema(IMutationContext context)
    {
        context.Execute(Schema.Replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", StringComparison.Ordinal));
    }

    [Mutation]
    private static void AddTodo(IMutationContext context, Guid id, string title)
    {
        context.Execute("INSERT INTO todos (id, title, done, created) VALUES (?1, ?2, 0, ?3)", id, title, context.Now);
    }

    [Mutation(0x00000101)]
    private static void CompleteTodo(IMutationContext context, Guid id, bool done)
    {
        context.Execute("UPDATE todos SET done = ?2 WHERE id = ?1", id, done);
    }

    [Mutation]
    private static void RenameTodos(IMutationContext context, IReadOnlyList<Guid> ids, string? prefix, string[] tags)
    {
        foreach (Guid id in ids)
        {
            context.Execute("UPDATE todos SET title = coalesce(?2, '') || title || ?3 WHERE id = ?1", id, prefix, string.Join(",", tags));
        }
    }
}
