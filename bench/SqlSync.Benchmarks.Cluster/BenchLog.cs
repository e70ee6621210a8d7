using SqlSync.Mutations;

namespace SqlSync.Benchmarks.Cluster;

/// <summary>The benchmark's document: one row per mutation.</summary>
[MutationSet]
public static partial class BenchLog
{
    [Mutation]
    public static void Log(IMutationContext context, string name)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, name TEXT NOT NULL)");
        context.Execute("INSERT INTO log(name) VALUES(?1)", name);
    }
}
