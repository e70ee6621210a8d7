using SqlSync.Mutations;

namespace SqlSync.Server.Tests;

/// <summary>A stock that takes cannot overdraw: takes made on a stale replica are rejected by the coordinator.</summary>
[MutationSet]
public static partial class StockMutations
{
    [Mutation]
    public static void CreateStockSchema(IMutationContext context)
    {
        context.Execute("CREATE TABLE IF NOT EXISTS stock(name TEXT PRIMARY KEY, left INTEGER NOT NULL CHECK (left >= 0))");
        context.Execute("CREATE TABLE IF NOT EXISTS tally(name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    }

    /// <summary>Creates the stock <paramref name="name"/> with <paramref name="count"/> items unless it exists.</summary>
    [Mutation]
    public static void Stock(IMutationContext context, string name, long count) =>
        context.Execute("INSERT INTO stock(name, left) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING", name, count);

    /// <summary>Takes one item; fails (and is rejected) when none is left.</summary>
    [Mutation]
    public static void Take(IMutationContext context, string name)
    {
        if (context.Execute("UPDATE stock SET left = left - 1 WHERE name = ?1", name) == 0)
        {
            throw new InvalidOperationException($"no stock named '{name}'");
        }
    }

    [Mutation]
    public static void Count(IMutationContext context, string name) =>
        context.Execute("INSERT INTO tally(name, value) VALUES(?1, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1", name);
}
