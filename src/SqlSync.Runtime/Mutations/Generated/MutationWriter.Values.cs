using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SqlSync.Mutations.Generated;

public sealed partial class MutationWriter
{
    /// <summary>Writes a signed byte.</summary>
    public void WriteSByte(sbyte value) => Reserve(1) = unchecked((byte)value);

    /// <summary>Writes 2 bytes, little-endian.</summary>
    public void WriteInt16(short value) => Unsafe.WriteUnaligned(ref Reserve(2), LittleEndian(value));

    /// <summary>Writes 2 bytes, little-endian.</summary>
    public void WriteUInt16(ushort value) => Unsafe.WriteUnaligned(ref Reserve(2), LittleEndian(value));

    /// <summary>Writes the IEEE 754 bits of <paramref name="value"/>, little-endian (NaN payloads and -0.0 kept).</summary>
    public void WriteSingle(float value) => Unsafe.WriteUnaligned(ref Reserve(4), LittleEndian(BitConverter.SingleToInt32Bits(value)));

    /// <summary>
    /// Writes a decimal exactly, in 14 bytes: the scale (0–28), the sign (0 or 1), then the 96-bit
    /// magnitude as three little-endian 32-bit words, low word first. <c>1.0m</c> and <c>1.00m</c> differ.
    /// </summary>
    public void WriteDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        ref byte span = ref Reserve(14);
        span = (byte)((bits[3] >> 16) & 0xFF);
        Unsafe.Add(ref span, 1) = (byte)((uint)bits[3] >> 31);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref span, 2), LittleEndian(bits[0]));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref span, 6), LittleEndian(bits[1]));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref span, 10), LittleEndian(bits[2]));
    }

    /// <summary>Writes a <see cref="DateTime"/> in 9 bytes: its <see cref="DateTimeKind"/> as one byte, then its ticks (8 bytes).</summary>
    public void WriteDateTime(DateTime value)
    {
        ref byte span = ref Reserve(9);
        span = (byte)value.Kind;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref span, 1), LittleEndian(value.Ticks));
    }

    /// <summary>Writes a <see cref="DateTimeOffset"/> in 10 bytes: its clock ticks (8 bytes), then its offset in minutes (2 bytes).</summary>
    public void WriteDateTimeOffset(DateTimeOffset value)
    {
        ref byte span = ref Reserve(10);
        Unsafe.WriteUnaligned(ref span, LittleEndian(value.Ticks));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref span, 8), LittleEndian((short)value.TotalOffsetMinutes));
    }

    /// <summary>Writes a <see cref="TimeSpan"/> as its ticks (8 bytes).</summary>
    public void WriteTimeSpan(TimeSpan value) => WriteInt64(value.Ticks);

    /// <summary>Writes a <see cref="DateOnly"/> as its day number (4 bytes).</summary>
    public void WriteDateOnly(DateOnly value) => WriteInt32(value.DayNumber);

    /// <summary>Writes a <see cref="TimeOnly"/> as its ticks since midnight (8 bytes).</summary>
    public void WriteTimeOnly(TimeOnly value) => WriteInt64(value.Ticks);

    /// <summary>Writes a <see cref="Guid"/> as its 16 bytes in RFC 9562 (big-endian) order, as in its "D" text form.</summary>
    public void WriteGuid(Guid value)
    {
        if (!value.TryWriteBytes(MemoryMarshal.CreateSpan(ref Reserve(16), 16), bigEndian: true, out _))
        {
            throw new InvalidOperationException("A Guid did not fit in 16 bytes.");
        }
    }

    /// <summary>Writes a non-null byte array: varint length, then the bytes.</summary>
    public void WriteBytes(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteBytes(value.AsSpan());
    }

    /// <summary>Writes the element count of a collection as a varint.</summary>
    public void WriteCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteVarUInt64((ulong)count);
    }
}
