namespace SqlSync.Generators.Tests.Inputs;

/// <summary>Representative mutation classes the snapshot, diagnostics and incremental tests run the generator on.</summary>
internal static class TestSources
{
    public const string Todo = """
        using System;
        using SqlSync.Mutations;

        namespace App.Todos;

        [MutationSet]
        public static partial class TodoMutations
        {
            [Mutation]
            private static void AddTodo(IMutationContext context, Guid id, string title)
            {
                context.Execute("INSERT INTO todos (id, title) VALUES (?1, ?2)", id, title);
            }

            [Mutation(0x101)]
            private static void CompleteTodo(IMutationContext context, Guid id, bool done)
            {
                context.Execute("UPDATE todos SET done = ?2 WHERE id = ?1", id, done);
            }
        }
        """;

    public const string AllTypes = """
        using System;
        using System.Collections.Generic;
        using SqlSync.Mutations;

        namespace App.Values;

        public enum Color : byte { Red, Green }

        public sealed record Point(int X, double Y, string? Label);

        public readonly record struct Box(List<Point> Points, Color Color);

        [MutationSet]
        public static partial class ValueMutations
        {
            [Mutation]
            public static void Scalars(IMutationContext context, bool b, byte u8, sbyte i8, short i16, ushort u16, int i32, uint u32, long i64, ulong u64, float f32, double f64, decimal m) { }

            [Mutation]
            public static void Texts(IMutationContext context, string text, string? maybe, byte[] blob, byte[]? maybeBlob, Guid id) { }

            [Mutation]
            public static void Times(IMutationContext context, DateTime at, DateTimeOffset offsetAt, TimeSpan span, DateOnly day, TimeOnly time) { }

            [Mutation]
            public static void Nullables(IMutationContext context, int? count, Color? color, Point? point, Box? box) { }

            [Mutation]
            public static void Collections(IMutationContext context, int[] numbers, List<string?> names, IReadOnlyList<Point> points, long[][] jagged, Color[] colors) { }
        }
        """;

    public const string Nested = """
        using SqlSync.Mutations;

        namespace App.Nested
        {
            public partial class Outer
            {
                internal sealed record Secret(string Value);

                [MutationSet]
                internal static partial class InnerMutations
                {
                    [Mutation]
                    static void Reveal(IMutationContext context, Secret secret, int @class) { }

                    [Mutation]
                    static void Touch(IMutationContext context) { }
                }
            }
        }
        """;

    public const string GlobalNamespace = """
        using SqlSync.Mutations;

        [MutationSet]
        static partial class GlobalMutations
        {
            [Mutation(42)]
            static void Ping(IMutationContext context, string target, int cancellationToken) { }

            [Mutation(43)]
            static void Pong(IMutationContext context, string target) { }
        }
        """;
}
