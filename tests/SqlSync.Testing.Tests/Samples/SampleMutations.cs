namespace SqlSync.Testing.Tests.Samples;

/// <summary>
/// Mutations that touch everything a scenario renders: every storage class, edge values, a rowid
/// table, a WITHOUT ROWID table with a composite key, a view, a trigger, the deterministic clock, ids
/// and random numbers, and a rejection.
/// </summary>
[MutationSet]
public static partial class SampleMutations
{
    [Mutation]
    public static void CreateSchema(IMutationContext context)
    {
        context.Execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT NOT NULL, created TEXT NOT NULL, sql_now TEXT NOT NULL, token TEXT NOT NULL, lucky INTEGER NOT NULL, noise BLOB NOT NULL)");
        context.Execute("CREATE TABLE cells(sheet TEXT NOT NULL, n INTEGER NOT NULL, v, PRIMARY KEY(sheet, n)) WITHOUT ROWID");
        context.Execute("CREATE TABLE log(message TEXT)");
        context.Execute("CREATE VIEW titles AS SELECT id, title FROM notes");
        context.Execute("CREATE TRIGGER notes_logged AFTER INSERT ON notes BEGIN INSERT INTO log(message) VALUES('added ' || new.title); END");
    }

    [Mutation]
    public static void AddNote(IMutationContext context, string title)
    {
        context.Execute(
            "INSERT INTO notes(title, created, sql_now, token, lucky, noise) VALUES(?1, ?2, datetime('now'), ?3, random(), randomblob(4))",
            title, context.Now, context.NewGuid());
    }

    [Mutation]
    public static void PutReal(IMutationContext context, string sheet, int n, double value) => Put(context, sheet, n, value);

    [Mutation]
    public static void PutInteger(IMutationContext context, string sheet, int n, long value) => Put(context, sheet, n, value);

    [Mutation]
    public static void PutText(IMutationContext context, string sheet, int n, string? value) => Put(context, sheet, n, value);

    [Mutation]
    public static void PutBlob(IMutationContext context, string sheet, int n, byte[] value) => Put(context, sheet, n, value);

    [Mutation]
    public static void Fail(IMutationContext context, string message)
    {
        context.Execute("INSERT INTO log(message) VALUES('never seen')");
        throw new InvalidOperationException(message);
    }

    private static void Put(IMutationContext context, string sheet, int n, object? value) =>
        context.Execute("INSERT OR REPLACE INTO cells(sheet, n, v) VALUES(?1, ?2, ?3)", sheet, n, value);
}
