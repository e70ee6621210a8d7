using SqlSync.Mutations;

namespace SqlSync.Server.Tests.Versioning;

/// <summary>Version 2: a migration adds a priority; a new mutation sets it; v1's mutation is kept as it shipped.</summary>
[MutationSet]
public static partial class TodosV2
{
    [Mutation(0x100)]
    public static void Add(IMutationContext context, long id, string title) =>
        context.Execute("INSERT INTO todos(id, title) VALUES(?1, ?2)", id, title);

    [Mutation(0x200)]
    public static void AddWithPriority(IMutationContext context, long id, string title, int priority) =>
        context.Execute("INSERT INTO todos(id, title, priority) VALUES(?1, ?2, ?3)", id, title, priority);

    [Migration(1)]
    public static void CreateTodos(IMutationContext context) =>
        context.Execute("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL)");

    [Migration(2)]
    public static void AddPriority(IMutationContext context) =>
        context.Execute("ALTER TABLE todos ADD COLUMN priority INTEGER NOT NULL DEFAULT 0");
}
