using SqlSync.Mutations;

namespace SqlSync.Server.Tests;

/// <summary>A small document for the server tests: named counters that mutations add to.</summary>
[MutationSet]
public static partial class CounterMutations
{
    [Mutation]
    public static void CreateSchema(IMutationContext context) =>
        context.Execute("CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL)");

    [Mutation]
    public static void Add(IMutationContext context, string name, long delta) =>
        context.Execute("INSERT INTO counters(name, value) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", name, delta);

    [Mutation]
    public static void Pad(IMutationContext context, string name, byte[] payload) =>
        context.Execute("INSERT OR REPLACE INTO counters(name, value) VALUES(?1, length(?2))", name, payload);

    /// <summary>Keeps <paramref name="payload"/> in the database, so the storage (and its download) grows with it.</summary>
    [Mutation]
    public static void Store(IMutationContext context, string name, byte[] payload)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS blobs(name TEXT PRIMARY KEY, payload BLOB NOT NULL)");
        context.Execute("INSERT OR REPLACE INTO blobs(name, payload) VALUES(?1, ?2)", name, payload);
    }

    /// <summary>Always throws: with <c>KeepMutationsThatFailLocally</c> it uploads and the coordinator rejects it.</summary>
    [Mutation]
    public static void Fail(IMutationContext context, string why) => throw new InvalidOperationException(why);

    /// <summary>Appends <paramref name="name"/> to a log whose row ids follow the order mutations are applied in.</summary>
    [Mutation]
    public static void Log(IMutationContext context, string name)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, name TEXT NOT NULL)");
        context.Execute("INSERT INTO log(name) VALUES(?1)", name);
    }
}
