using SqlSync.Mutations;

namespace QuickStart;

/// <summary>
/// The mutations of a shared grocery list. Each method becomes a record (e.g. <c>AddItemMutation</c>), the
/// generated <c>Reducer</c> applies it, and <c>doc.AddItem(...)</c> extension methods make it one call.
/// </summary>
[MutationSet]
public static partial class GroceryMutations
{
    [Mutation]
    public static void CreateSchema(IMutationContext context)
    {
        context.Execute("""
            CREATE TABLE IF NOT EXISTS items(
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                quantity INTEGER NOT NULL,
                added_by TEXT NOT NULL,
                added_at TEXT NOT NULL)
            """);
    }

    [Mutation]
    public static void AddItem(IMutationContext context, Guid id, string name, int quantity, string addedBy)
    {
        context.Execute(
            "INSERT INTO items(id, name, quantity, added_by, added_at) VALUES(?1, ?2, ?3, ?4, ?5)",
            id, name, quantity, addedBy, context.Now);
    }

    [Mutation]
    public static void RenameItem(IMutationContext context, Guid id, string name)
    {
        if (context.Execute("UPDATE items SET name = ?2 WHERE id = ?1", id, name) == 0)
        {
            throw new InvalidOperationException($"there is no item {id} to rename");
        }
    }

    [Mutation]
    public static void ChangeQuantity(IMutationContext context, Guid id, int delta)
    {
        context.Execute("UPDATE items SET quantity = max(0, quantity + ?2) WHERE id = ?1", id, delta);
    }

    [Mutation]
    public static void RemoveItem(IMutationContext context, Guid id)
    {
        context.Execute("DELETE FROM items WHERE id = ?1", id);
    }
}
