using System.Text.Json.Serialization;

namespace SqlSync.Benchmarks.Codec;

/// <summary>The same fields as <see cref="CodecMutations.AddTodoMutation"/>, for System.Text.Json.</summary>
public sealed record AddTodoJson(Guid Id, string Title, bool Done, int Priority, DateTime Created);

/// <summary>The same fields as <see cref="CodecMutations.PlaceOrderMutation"/>, for System.Text.Json.</summary>
public sealed record PlaceOrderJson(Guid OrderId, string Customer, List<OrderLine> Lines, decimal Total, string? Note, DateTimeOffset PlacedAt);

/// <summary>System.Text.Json's source-generated metadata for the DTOs (its fastest mode).</summary>
[JsonSerializable(typeof(AddTodoJson))]
[JsonSerializable(typeof(PlaceOrderJson))]
public sealed partial class CodecJsonContext : JsonSerializerContext
{
}
