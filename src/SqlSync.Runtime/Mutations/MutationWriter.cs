using System.Buffers.Binary;
using System.Text;

namespace SqlSync.Mutations;

/// <summary>
/// Writes a mutation record in SqlSync's binary form: fixed-width little-endian numbers, varint lengths,
/// UTF-8 strings (docs/formats.md). The same values always give the same bytes. Reusable after
/// <see cref="Reset"/>; not thread-safe.
/// </summary>
public sealed partial class MutationWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with a small initial buffer that grows as needed.</summary>
    public MutationWriter(int initialCapacity = 128)
    {
        _buffer = new byte[Math.Max(16, initialCapacity)];
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>How many bytes were written.</summary>
    public int Length => _length;

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _length = 0;

    /// <summary>A copy of the bytes written so far.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Writes a record's tag.</summary>
    public void WriteTag(uint tag) => WriteUInt32(tag);

    /// <summary>Writes a byte.</summary>
    public void WriteByte(byte value) => Reserve(1)[0] = value;

    /// <summary>Writes a boolean as one byte, 0 or 1.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes 4 bytes, little-endian.</summary>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

    /// <summary>Writes 4 bytes, little-endian.</summary>
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

    /// <summary>Writes 8 bytes, little-endian.</summary>
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

    /// <summary>Writes 8 bytes, little-endian.</summary>
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    /// <summary>Writes the IEEE 754 bits of <paramref name="value"/>, little-endian (NaN payloads and -0.0 kept).</summary>
    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);

    /// <summary>Writes an unsigned LEB128 varint (1–10 bytes); used for lengths.</summary>
    public void WriteVarUInt64(ulong value)
    {
        Span<byte> span = Reserve(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _length -= 10 - i;
    }

    /// <summary>Writes a non-null string: varint byte length, then UTF-8 bytes.</summary>
    /// <exception cref="ArgumentException">The string holds a lone surrogate, which UTF-8 cannot carry exactly.</exception>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The string is not valid UTF-16 (it holds a lone surrogate), so it cannot be encoded exactly.", nameof(value), ex);
        }

        WriteVarUInt64((ulong)byteCount);
        StrictUtf8.GetBytes(value, Reserve(byteCount));
    }

    /// <summary>Writes a non-null byte array: varint length, then the bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteVarUInt64((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>Returns a span of <paramref name="count"/> bytes at the end, counted as written.</summary>
    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        Span<byte> span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
