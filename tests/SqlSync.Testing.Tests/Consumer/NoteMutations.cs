using SqlSync.Mutations;

namespace Consumer;

[MutationSet]
public static partial class NoteMutations
{
    [Mutation]
    public static void CreateSchema(IMutationContext context) =>
        context.Execute("CREATE TABLE IF NOT EXISTS notes(id TEXT PRIMARY KEY NOT NULL, text TEXT NOT NULL, weight REAL NOT NULL, created TEXT NOT NULL)");

    [Mutation]
    public static void AddNote(IMutationContext context, string text, double weight)
    {
        if (text.Length == 0)
        {
            throw new ArgumentException("A note needs text.", nameof(text));
        }

        context.Execute("INSERT INTO notes(id, text, weight, created) VALUES(?1, ?2, ?3, ?4)", context.NewGuid(), text, weight, context.Now);
    }
}
