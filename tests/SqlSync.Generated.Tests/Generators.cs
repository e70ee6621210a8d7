using CsCheck;
using SqlSync.Generated.Tests.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>CsCheck generators for every supported parameter type, with their edge values mixed in.</summary>
internal static class Generators
{
    public static readonly Gen<bool> AnyBool = Gen.Bool;
    public static readonly Gen<byte> AnyByte = WithEdges(Gen.Byte, byte.MinValue, byte.MaxValue);
    public static readonly Gen<sbyte> AnySByte = WithEdges(Gen.SByte, sbyte.MinValue, sbyte.MaxValue, (sbyte)-1);
    public static readonly Gen<short> AnyInt16 = WithEdges(Gen.Short, short.MinValue, short.MaxValue, (short)-1);
    public static readonly Gen<ushort> AnyUInt16 = WithEdges(Gen.UShort, ushort.MinValue, ushort.MaxValue);
    public static readonly Gen<int> AnyInt32 = WithEdges(Gen.Int, int.MinValue, int.MaxValue, -1, 0);
    public static readonly Gen<uint> AnyUInt32 = WithEdges(Gen.UInt, uint.MinValue, uint.MaxValue);
    public static readonly Gen<long> AnyInt64 = WithEdges(Gen.Long, long.MinValue, long.MaxValue, -1L);
    public static readonly Gen<ulong> AnyUInt64 = WithEdges(Gen.ULong, ulong.MinValue, ulong.MaxValue);

    public static readonly Gen<float> AnySingle = WithEdges(Gen.Float,
        float.NaN, -0.0f, 0.0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MinValue, float.MaxValue);

    public static readonly Gen<double> AnyDouble = WithEdges(Gen.Double,
        double.NaN, -0.0, 0.0, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MinValue, double.MaxValue,
        BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0001)); // a NaN with a payload

    /// <summary>Decimals of every scale 0–28 and sign, including negative zero and the extremes.</summary>
    public static readonly Gen<decimal> AnyDecimal = WithEdges(
        Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.Bool, Gen.Byte[0, 28], (lo, mid, hi, negative, scale) => new decimal(lo, mid, hi, negative, scale)),
        decimal.MinValue, decimal.MaxValue, 0m, 1.0m, 1.00m, -0.00m, new decimal(1, 0, 0, false, 28));

    /// <summary>Valid UTF-16 text: any scalar value, so surrogate pairs too; empty strings often.</summary>
    public static readonly Gen<string> AnyString = WithEdges(
        Gen.Int[0, 0x10FFFF].Where(c => c is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32).Array[0, 12].Select(string.Concat),
        "", "😀", "a\u0000b", "é\u20AC\U0001F600", new string('x', 300));

    public static readonly Gen<string?> AnyNullableString = AnyString.Null(0.2);
    public static readonly Gen<byte[]> AnyBytes = Gen.Byte.Array[0, 40];
    public static readonly Gen<byte[]?> AnyNullableBytes = AnyBytes.Null(0.2);
    public static readonly Gen<Guid> AnyGuid = WithEdges(Gen.Guid, System.Guid.Empty, System.Guid.Parse("ffffffff-ffff-ffff-ffff-ffffffffffff"));

    /// <summary>DateTimes of every kind over the whole range.</summary>
    public static readonly Gen<DateTime> AnyDateTime = WithEdges(
        Gen.Select(Gen.Long[0, System.DateTime.MaxValue.Ticks], Gen.Int[0, 2], (ticks, kind) => new System.DateTime(ticks, (DateTimeKind)kind)),
        System.DateTime.MinValue, System.DateTime.MaxValue, new System.DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc));

    public static readonly Gen<DateTimeOffset> AnyDateTimeOffset = WithEdges(
        Gen.Select(Gen.Long[System.DateTime.MinValue.Ticks + System.TimeSpan.TicksPerDay, System.DateTime.MaxValue.Ticks - System.TimeSpan.TicksPerDay], Gen.Int[-14 * 60, 14 * 60],
            (ticks, minutes) => new System.DateTimeOffset(ticks, System.TimeSpan.FromMinutes(minutes))),
        System.DateTimeOffset.MinValue, System.DateTimeOffset.MaxValue);

    public static readonly Gen<TimeSpan> AnyTimeSpan = WithEdges(Gen.Long.Select(t => new System.TimeSpan(t)), System.TimeSpan.MinValue, System.TimeSpan.MaxValue);
    public static readonly Gen<DateOnly> AnyDateOnly = WithEdges(Gen.Int[0, System.DateOnly.MaxValue.DayNumber].Select(System.DateOnly.FromDayNumber), System.DateOnly.MinValue, System.DateOnly.MaxValue);
    public static readonly Gen<TimeOnly> AnyTimeOnly = WithEdges(Gen.Long[0, System.TimeOnly.MaxValue.Ticks].Select(t => new System.TimeOnly(t)), System.TimeOnly.MinValue, System.TimeOnly.MaxValue);
    public static readonly Gen<Priority> AnyPriority = Gen.OneOf(Mutations.Priority.Low, Mutations.Priority.Normal, Mutations.Priority.High, (Priority)short.MinValue);

    public static readonly Gen<Point> AnyPoint = Gen.Select(AnyInt32, AnyDouble, AnyNullableString, (x, y, label) => new Point(x, y, label));
    public static readonly Gen<Polygon> AnyPolygon = Gen.Select(AnyPoint.List[0, 4], AnyPriority, (points, priority) => new Polygon(points, priority));

    private static Gen<T> WithEdges<T>(Gen<T> gen, params T[] edges) => Gen.Frequency((3, (IGen<T>)gen), (1, Gen.OneOf(edges)));
}
