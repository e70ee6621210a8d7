using SqlSync.Mutations;

namespace SqlSync.Cli.Tests;

/// <summary>A small document for the CLI tests.</summary>
[MutationSet]
public static partial class NoteMutations
{
    [Mutation]
    public static void CreateSchema(IMutationContext context)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, text TEXT NOT NULL, data BLOB)");
        context.Execute("CREATE INDEX IF NOT EXISTS notes_text ON notes(text)");
    }

    [Mutation]
    public static void AddNote(IMutationContext context, long id, string text, byte[]? data) =>
        context.Execute("INSERT INTO notes(id, text, data) VALUES(?1, ?2, ?3)", id, text, data);

    [Mutation]
    public static void Explode(IMutationContext context) => throw new InvalidOperationException("rejected on purpose");
}
