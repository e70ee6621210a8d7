using SqlSync.Mutations;

namespace SqlSync.Generated.Tests.Mutations;

/// <summary>An enum with a non-default underlying type.</summary>
public enum Priority : short
{
    /// <summary>Low.</summary>
    Low = -1,
    /// <summary>Normal.</summary>
    Normal = 0,
    /// <summary>High.</summary>
    High = 1,
}

/// <summary>A user record made of supported members.</summary>
public sealed record Point(int X, double Y, string? Label);

/// <summary>A user struct with a list member.</summary>
public readonly record struct Polygon(List<Point> Points, Priority Priority);

/// <summary>One mutation per supported parameter type, so round trips can cover each.</summary>
[MutationSet]
public static partial class ValueMutations
{
    [Mutation]
    private static void Integers(IMutationContext context, bool b, byte u8, sbyte i8, short i16, ushort u16, int i32, uint u32, long i64, ulong u64)
    {
    }

    [Mutation]
    private static void Reals(IMutationContext context, float f32, double f64, decimal money)
    {
    }

    [Mutation]
    private static void Texts(IMutationContext context, string text, string? maybe, byte[] blob, byte[]? maybeBlob)
    {
    }

    [Mutation]
    private static void Times(IMutationContext context, DateTime at, DateTimeOffset offsetAt, TimeSpan span, DateOnly day, TimeOnly time, Guid id)
    {
    }

    [Mutation]
    private static void Nullables(IMutationContext context, int? count, DateTime? at, Guid? id, Priority? priority, decimal? money)
    {
    }

    [Mutation]
    private static void Collections(IMutationContext context, int[] numbers, List<string> names, IReadOnlyList<double> weights, long[][] jagged, List<int?> holes, string?[] sparse)
    {
    }

    [Mutation]
    private static void Objects(IMutationContext context, Point point, Point? maybePoint, Polygon polygon, Polygon? maybePolygon, Priority priority)
    {
    }
}
