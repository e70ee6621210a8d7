using SqlSync.Mutations;

namespace SqlSync.Server.Tests.Versioning;

/// <summary>Version 1 of a todo app's mutation set: explicit tags, so that every version shares them.</summary>
[MutationSet]
public static partial class TodosV1
{
    [Mutation(0x100)]
    public static void Add(IMutationContext context, long id, string title) =>
        context.Execute("INSERT INTO todos(id, title) VALUES(?1, ?2)", id, title);

    [Migration(1)]
    public static void CreateTodos(IMutationContext context) =>
        context.Execute("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
}
