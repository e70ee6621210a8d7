using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using SqlSync.Mutations;

namespace SqlSync.Benchmarks.Codec;

/// <summary>Encode and decode of typical records: the generated binary codec beside System.Text.Json (source-generated) on the same fields.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks : IDisposable
{
    private readonly MutationWriter _writer = new(512);
    private readonly ArrayBufferWriter<byte> _jsonBuffer = new(1024);
    private Utf8JsonWriter _jsonWriter = null!;
    private byte[] _todoBytes = null!;
    private byte[] _orderBytes = null!;
    private byte[] _todoJson = null!;
    private byte[] _orderJson = null!;

    public static CodecMutations.AddTodoMutation Todo { get; } = new(
        new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"), "Buy milk and bread", false, 2, new DateTime(2025, 3, 1, 9, 30, 0, DateTimeKind.Utc));

    public static CodecMutations.PlaceOrderMutation Order { get; } = new(
        new Guid("7c9e6679-7425-40de-944b-e07fc1f90ae7"), "Ada Lovelace",
        [
            new OrderLine(new Guid("16fd2706-8baf-433b-82eb-8c7fada847da"), 2, 19.99m),
            new OrderLine(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), 1, 5.25m),
            new OrderLine(new Guid("a8098c1a-f86e-11da-bd1a-00112444be1e"), 12, 0.10m),
        ],
        46.43m, "leave at the door", new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.FromHours(1)));

    public static AddTodoJson TodoDto { get; } = new(Todo.Id, Todo.Title, Todo.Done, Todo.Priority, Todo.Created);

    public static PlaceOrderJson OrderDto { get; } = new(Order.OrderId, Order.Customer, Order.Lines, Order.Total, Order.Note, Order.PlacedAt);

    /// <summary>Frees the JSON writer (BenchmarkDotNet disposes benchmark instances).</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _jsonWriter?.Dispose();
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _jsonWriter = new Utf8JsonWriter(_jsonBuffer);
        _todoBytes = Todo.Encode();
        _orderBytes = Order.Encode();
        _todoJson = JsonSerializer.SerializeToUtf8Bytes(TodoDto, CodecJsonContext.Default.AddTodoJson);
        _orderJson = JsonSerializer.SerializeToUtf8Bytes(OrderDto, CodecJsonContext.Default.PlaceOrderJson);
    }

    [Benchmark]
    public int TodoEncodeGenerated()
    {
        _writer.Reset();
        Todo.WriteTo(_writer);
        return _writer.Length;
    }

    [Benchmark]
    public long TodoEncodeJson()
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        JsonSerializer.Serialize(_jsonWriter, TodoDto, CodecJsonContext.Default.AddTodoJson);
        return _jsonWriter.BytesCommitted;
    }

    [Benchmark]
    public CodecMutations.AddTodoMutation TodoDecodeGenerated() => CodecMutations.AddTodoMutation.Decode(_todoBytes);

    [Benchmark]
    public AddTodoJson? TodoDecodeJson() => JsonSerializer.Deserialize(_todoJson, CodecJsonContext.Default.AddTodoJson);

    [Benchmark]
    public int OrderEncodeGenerated()
    {
        _writer.Reset();
        Order.WriteTo(_writer);
        return _writer.Length;
    }

    [Benchmark]
    public long OrderEncodeJson()
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        JsonSerializer.Serialize(_jsonWriter, OrderDto, CodecJsonContext.Default.PlaceOrderJson);
        return _jsonWriter.BytesCommitted;
    }

    [Benchmark]
    public CodecMutations.PlaceOrderMutation OrderDecodeGenerated() => CodecMutations.PlaceOrderMutation.Decode(_orderBytes);

    [Benchmark]
    public PlaceOrderJson? OrderDecodeJson() => JsonSerializer.Deserialize(_orderJson, CodecJsonContext.Default.PlaceOrderJson);
}
