using SqlSync.Mutations;

namespace SqlSyncApp.Mutations;

/// <summary>
/// The app's mutations. The generator turns each method into a record (<c>AddTodoMutation</c>), a
/// <c>Reducer</c> and a typed call (<c>document.AddTodo(...)</c>). A mutation sees only its arguments and
/// the database: use <c>context.Now</c> and <c>context.NewGuid()</c>, never the clock or Guid.NewGuid.
/// </summary>
[MutationSet]
public static partial class TodoMutations
{
    [Mutation]
    public static void CreateSchema(IMutationContext context) =>
        context.Execute("CREATE TABLE IF NOT EXISTS todos(id TEXT PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL)");

    [Mutation]
    public static void AddTodo(IMutationContext context, Guid id, string title) =>
        context.Execute("INSERT INTO todos(id, title, done) VALUES(?1, ?2, 0)", id, title);

    [Mutation]
    public static void SetDone(IMutationContext context, Guid id, bool done) =>
        context.Execute("UPDATE todos SET done = ?2 WHERE id = ?1", id, done);
}
