using System.Text.Json;
using BenchmarkDotNet.Running;
using SqlSync.Benchmarks.Codec;

if (args.Contains("--sizes"))
{
    // Encoded sizes of the benchmark records: generated binary form beside System.Text.Json.
    Console.WriteLine($"AddTodo    binary {CodecBenchmarks.Todo.Encode().Length,4} B   json {JsonSerializer.SerializeToUtf8Bytes(CodecBenchmarks.TodoDto, CodecJsonContext.Default.AddTodoJson).Length,4} B");
    Console.WriteLine($"PlaceOrder binary {CodecBenchmarks.Order.Encode().Length,4} B   json {JsonSerializer.SerializeToUtf8Bytes(CodecBenchmarks.OrderDto, CodecJsonContext.Default.PlaceOrderJson).Length,4} B");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args);
