using SqlSync.Mutations;

namespace SqlSync.Orleans.Tests;

/// <summary>The cluster tests' document: a log of named rows, so that a lost or doubled mutation shows.</summary>
[MutationSet]
public static partial class LogMutations
{
    /// <summary>Appends <paramref name="name"/>; each name is written once by its client, so each must be there once.</summary>
    [Mutation]
    public static void Log(IMutationContext context, string name)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, name TEXT NOT NULL)");
        context.Execute("INSERT INTO log(name) VALUES(?1)", name);
    }
}
