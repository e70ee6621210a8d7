using SqlSync.Mutations;

namespace SqlSync.Benchmarks.Codec;

/// <summary>One line of an order.</summary>
public sealed record OrderLine(Guid ProductId, int Quantity, decimal UnitPrice);

/// <summary>Typical mutations: a small todo and an order with a few lines.</summary>
[MutationSet]
public static partial class CodecMutations
{
    [Mutation]
    private static void AddTodo(IMutationContext context, Guid id, string title, bool done, int priority, DateTime created)
    {
    }

    [Mutation]
    private static void PlaceOrder(IMutationContext context, Guid orderId, string customer, List<OrderLine> lines, decimal total, string? note, DateTimeOffset placedAt)
    {
    }
}
