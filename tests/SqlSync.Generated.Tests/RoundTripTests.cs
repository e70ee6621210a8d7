using CsCheck;
using SqlSync.Generated.Tests.Mutations;
using SqlSync.Mutations;
using static SqlSync.Generated.Tests.Generators;

namespace SqlSync.Generated.Tests;

/// <summary>
/// Property tests: for every supported type, encode → decode gives an equal record whose encoding is
/// the same bytes (so -0.0, NaN payloads, decimal scale, DateTime kind and DateTimeOffset offset survive),
/// and the JSON form reads back to an equal record.
/// </summary>
[Trait("Category", "Generated")]
public sealed class RoundTripTests
{
    [Fact]
    public void Integers() => Gen.Select(AnyBool, AnyByte, AnySByte, AnyInt16, AnyUInt16, AnyInt32, AnyUInt32, AnyInt64, AnyUInt64,
            (b, u8, i8, i16, u16, i32, u32, i64, u64) => new ValueMutations.IntegersMutation(b, u8, i8, i16, u16, i32, u32, i64, u64))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.IntegersMutation.Decode(b), ValueMutations.IntegersMutation.FromJson));

    [Fact]
    public void Reals() => Gen.Select(AnySingle, AnyDouble, AnyDecimal, (f, d, m) => new ValueMutations.RealsMutation(f, d, m))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.RealsMutation.Decode(b), ValueMutations.RealsMutation.FromJson));

    [Fact]
    public void Texts() => Gen.Select(AnyString, AnyNullableString, AnyBytes, AnyNullableBytes, (s, n, b, nb) => new ValueMutations.TextsMutation(s, n, b, nb))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.TextsMutation.Decode(b), ValueMutations.TextsMutation.FromJson));

    [Fact]
    public void Times() => Gen.Select(AnyDateTime, AnyDateTimeOffset, AnyTimeSpan, AnyDateOnly, AnyTimeOnly, AnyGuid,
            (at, offsetAt, span, day, time, id) => new ValueMutations.TimesMutation(at, offsetAt, span, day, time, id))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.TimesMutation.Decode(b), json: null));

    [Fact]
    public void TimesJsonWithoutLocalKind() => Gen.Select(AnyDateTime.Where(d => d.Kind != DateTimeKind.Local), AnyDateTimeOffset, AnyTimeSpan, AnyDateOnly, AnyTimeOnly, AnyGuid,
            (at, offsetAt, span, day, time, id) => new ValueMutations.TimesMutation(at, offsetAt, span, day, time, id))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.TimesMutation.Decode(b), ValueMutations.TimesMutation.FromJson));

    [Fact]
    public void Nullables() => Gen.Select(AnyInt32.Nullable(), AnyDateTime.Where(d => d.Kind != DateTimeKind.Local).Nullable(), AnyGuid.Nullable(), AnyPriority.Nullable(), AnyDecimal.Nullable(),
            (count, at, id, priority, money) => new ValueMutations.NullablesMutation(count, at, id, priority, money))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.NullablesMutation.Decode(b), ValueMutations.NullablesMutation.FromJson));

    [Fact]
    public void Collections() => Gen.Select(AnyInt32.Array[0, 8], AnyString.List[0, 5], AnyDouble.Array[0, 5], AnyInt64.Array[0, 3].Array[0, 3], AnyInt32.Nullable().List[0, 5], AnyNullableString.Array[0, 5],
            (numbers, names, weights, jagged, holes, sparse) => new ValueMutations.CollectionsMutation(numbers, names, weights, jagged, holes, sparse))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.CollectionsMutation.Decode(b), ValueMutations.CollectionsMutation.FromJson));

    [Fact]
    public void Objects() => Gen.Select(AnyPoint, AnyPoint.Null(0.3), AnyPolygon, AnyPolygon.Nullable(), AnyPriority,
            (point, maybePoint, polygon, maybePolygon, priority) => new ValueMutations.ObjectsMutation(point, maybePoint, polygon, maybePolygon, priority))
        .Sample(r => RoundTrip.Check(r, b => ValueMutations.ObjectsMutation.Decode(b), ValueMutations.ObjectsMutation.FromJson, compareRecords: false));

    [Fact]
    public void EdgeValuesKeepTheirExactBits()
    {
        var reals = new ValueMutations.RealsMutation(-0.0f, -0.0, 1.50m);
        ValueMutations.RealsMutation decoded = ValueMutations.RealsMutation.Decode(reals.Encode());
        Assert.True(double.IsNegative(decoded.F64) && decoded.F64 == 0.0);
        Assert.True(float.IsNegative(decoded.F32) && decoded.F32 == 0.0f);
        Assert.Equal("1.50", decoded.Money.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var times = new ValueMutations.TimesMutation(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Local),
            new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(5.5)), TimeSpan.FromTicks(-1), System.DateOnly.MinValue, System.TimeOnly.MaxValue, System.Guid.Empty);
        ValueMutations.TimesMutation decodedTimes = ValueMutations.TimesMutation.Decode(times.Encode());
        Assert.Equal(DateTimeKind.Local, decodedTimes.At.Kind);
        Assert.Equal(TimeSpan.FromHours(5.5), decodedTimes.OffsetAt.Offset);
    }

    [Fact]
    public void ALoneSurrogateIsRefusedRatherThanChanged()
    {
        var record = new ValueMutations.TextsMutation("\uD800", null, [], null);
        Assert.Throws<ArgumentException>(() => record.Encode());
    }

    [Fact]
    public void ArraysAndListsCompareElementByElement()
    {
        var left = new ValueMutations.CollectionsMutation([1, 2], ["a"], [0.5], [[1L], []], [null, 3], ["x", null]);
        var right = new ValueMutations.CollectionsMutation([1, 2], ["a"], new List<double> { 0.5 }, [[1L], []], [null, 3], ["x", null]);
        Assert.Equal(left, right);
        Assert.Equal(left.GetHashCode(), right.GetHashCode());
        Assert.NotEqual(left, right with { Jagged = [[2L], []] });
    }
}
