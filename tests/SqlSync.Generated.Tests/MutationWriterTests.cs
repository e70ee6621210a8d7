using System.Buffers.Binary;
using System.Text;
using SqlSync.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>
/// The writer's fast paths (one-pass strings, direct stores) give exactly the bytes of the format's definition:
/// checked here against a plain reference encoding, around every length where the varint prefix changes size.
/// </summary>
public sealed class MutationWriterTests
{
    private static byte[] Reference(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        var bytes = new List<byte>();
        ulong length = (ulong)utf8.Length;
        while (length >= 0x80)
        {
            bytes.Add((byte)(length | 0x80));
            length >>= 7;
        }

        bytes.Add((byte)length);
        bytes.AddRange(utf8);
        return [.. bytes];
    }

    public static TheoryData<int, string> Strings()
    {
        var data = new TheoryData<int, string>();
        string[] units = ["a", "é", "€", "😀"];
        int[] lengths = [0, 1, 2, 41, 42, 43, 63, 64, 127, 128, 129, 4095, 4096, 4097, 5461, 16383, 16384, 20000];
        foreach (string unit in units)
        {
            foreach (int length in lengths)
            {
                data.Add(length, unit);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void StringsMatchTheReferenceEncoding(int repeat, string unit)
    {
        string value = string.Concat(Enumerable.Repeat(unit, repeat));
        foreach (int capacity in new[] { 16, 100_000 })
        {
            var writer = new MutationWriter(capacity);
            writer.WriteByte(0xAB);
            writer.WriteString(value);
            writer.WriteByte(0xCD);
            Assert.Equal([0xAB, .. Reference(value), 0xCD], writer.ToArray());
        }
    }

    [Fact]
    public void MixedStringsMatchTheReferenceEncoding()
    {
        var random = new Random(20261126);
        string[] pieces = ["a", "Z", " ", "é", "ß", "€", "中", "😀", "\u0000", "\u007F", "\u0080", "\u07FF", "\u0800", "\uFFFF"];
        var writer = new MutationWriter(16);
        var expected = new List<byte>();
        for (int i = 0; i < 500; i++)
        {
            int count = random.Next(0, i % 50 == 0 ? 3000 : 80);
            string value = string.Concat(Enumerable.Range(0, count).Select(_ => pieces[random.Next(pieces.Length)]));
            writer.WriteString(value);
            expected.AddRange(Reference(value));
        }

        Assert.Equal(expected.ToArray(), writer.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5000)]
    public void ALoneSurrogateIsRefusedAndWritesNothing(int padding)
    {
        var writer = new MutationWriter(16);
        writer.WriteInt32(7);
        Assert.Throws<ArgumentException>(() => writer.WriteString(new string('x', padding) + "\uDC00"));
        Assert.Throws<ArgumentException>(() => writer.WriteString("\uD83D" + new string('x', padding)));
        Assert.Equal(4, writer.Length);
        writer.WriteString("ok");
        Assert.Equal(new byte[] { 7, 0, 0, 0, 2, (byte)'o', (byte)'k' }, writer.ToArray());
    }

    [Fact]
    public void FixedWidthValuesMatchTheReferenceEncoding()
    {
        var random = new Random(7);
        var writer = new MutationWriter(16);
        var expected = new List<byte>();
        for (int i = 0; i < 200; i++)
        {
            long bits = random.NextInt64(long.MinValue, long.MaxValue);
            var buffer = new byte[16];

            writer.WriteInt32((int)bits);
            BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)bits);
            expected.AddRange(buffer.AsSpan(0, 4).ToArray());

            writer.WriteUInt64((ulong)bits);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, (ulong)bits);
            expected.AddRange(buffer.AsSpan(0, 8).ToArray());

            writer.WriteInt16((short)bits);
            BinaryPrimitives.WriteInt16LittleEndian(buffer, (short)bits);
            expected.AddRange(buffer.AsSpan(0, 2).ToArray());

            double d = BitConverter.Int64BitsToDouble(bits);
            writer.WriteDouble(d);
            BinaryPrimitives.WriteDoubleLittleEndian(buffer, d);
            expected.AddRange(buffer.AsSpan(0, 8).ToArray());

            float f = BitConverter.Int32BitsToSingle((int)bits);
            writer.WriteSingle(f);
            BinaryPrimitives.WriteSingleLittleEndian(buffer, f);
            expected.AddRange(buffer.AsSpan(0, 4).ToArray());

            ulong varint = (ulong)bits >> random.Next(64);
            writer.WriteVarUInt64(varint);
            while (varint >= 0x80)
            {
                expected.Add((byte)(varint | 0x80));
                varint >>= 7;
            }

            expected.Add((byte)varint);

            var offset = new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.FromMinutes(random.Next(-840, 841)));
            writer.WriteDateTimeOffset(offset);
            BinaryPrimitives.WriteInt64LittleEndian(buffer, offset.Ticks);
            BinaryPrimitives.WriteInt16LittleEndian(buffer.AsSpan(8), (short)(offset.Offset.Ticks / TimeSpan.TicksPerMinute));
            expected.AddRange(buffer.AsSpan(0, 10).ToArray());

            var time = new DateTime(offset.Ticks, (DateTimeKind)random.Next(3));
            writer.WriteDateTime(time);
            expected.Add((byte)time.Kind);
            BinaryPrimitives.WriteInt64LittleEndian(buffer, time.Ticks);
            expected.AddRange(buffer.AsSpan(0, 8).ToArray());
        }

        Assert.Equal(expected.ToArray(), writer.ToArray());
    }

    [Fact]
    public void EnsureCapacityWritesNothing()
    {
        var writer = new MutationWriter(16);
        writer.WriteByte(1);
        writer.EnsureCapacity(1000);
        Assert.Equal(1, writer.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.EnsureCapacity(-1));
    }
}
