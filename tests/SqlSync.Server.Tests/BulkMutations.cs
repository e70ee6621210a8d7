using SqlSync.Mutations;

namespace SqlSync.Server.Tests;

/// <summary>Mutations that make large journal entries: a small record whose step writes many MiB, and notes to keep syncing after.</summary>
[MutationSet]
public static partial class BulkMutations
{
    /// <summary>Writes <paramref name="rows"/> random blobs of <paramref name="bytes"/> each (randomblob is deterministic in reducers).</summary>
    [Mutation]
    public static void FillBlobs(IMutationContext context, int rows, int bytes)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS blobs(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
        context.Execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) INSERT INTO blobs(payload) SELECT randomblob(?2) FROM n",
            rows, bytes);
    }

    [Mutation]
    public static void Note(IMutationContext context, string name, long value)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS notes(name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
        context.Execute("INSERT OR REPLACE INTO notes(name, value) VALUES(?1, ?2)", name, value);
    }
}
