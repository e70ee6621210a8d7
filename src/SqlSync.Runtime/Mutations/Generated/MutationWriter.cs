using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace SqlSync.Mutations.Generated;

/// <summary>
/// Writes a mutation record in SqlSync's binary form: fixed-width little-endian numbers, varint lengths,
/// UTF-8 strings (docs/formats.md). The same values always give the same bytes. Reusable after
/// <see cref="Reset"/>; not thread-safe.
/// </summary>
/// <remarks>
/// Every write reserves its bytes with one capacity check and stores them through a reference into the
/// buffer (no span slicing, no second bounds check). Strings are transcoded once, straight into the buffer.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public sealed partial class MutationWriter
{
    /// <summary>Strings up to this many UTF-16 units are transcoded in one pass into room for their worst case (3 bytes a unit).</summary>
    private const int OnePassStringLimit = 4096;

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

    /// <summary>
    /// Makes room for at least <paramref name="count"/> more bytes, so that the writes that follow do not
    /// grow the buffer. Writes nothing; a hint, never required.
    /// </summary>
    public void EnsureCapacity(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _length)
        {
            Grow(count);
        }
    }

    /// <summary>Writes a record's tag.</summary>
    public void WriteTag(uint tag) => WriteUInt32(tag);

    /// <summary>Writes a byte.</summary>
    public void WriteByte(byte value) => Reserve(1) = value;

    /// <summary>Writes a boolean as one byte, 0 or 1.</summary>
    public void WriteBoolean(bool value) => Reserve(1) = value ? (byte)1 : (byte)0;

    /// <summary>Writes 4 bytes, little-endian.</summary>
    public void WriteUInt32(uint value) => Unsafe.WriteUnaligned(ref Reserve(4), LittleEndian(value));

    /// <summary>Writes 4 bytes, little-endian.</summary>
    public void WriteInt32(int value) => Unsafe.WriteUnaligned(ref Reserve(4), LittleEndian(value));

    /// <summary>Writes 8 bytes, little-endian.</summary>
    public void WriteInt64(long value) => Unsafe.WriteUnaligned(ref Reserve(8), LittleEndian(value));

    /// <summary>Writes 8 bytes, little-endian.</summary>
    public void WriteUInt64(ulong value) => Unsafe.WriteUnaligned(ref Reserve(8), LittleEndian(value));

    /// <summary>Writes the IEEE 754 bits of <paramref name="value"/>, little-endian (NaN payloads and -0.0 kept).</summary>
    public void WriteDouble(double value) => Unsafe.WriteUnaligned(ref Reserve(8), LittleEndian(BitConverter.DoubleToInt64Bits(value)));

    /// <summary>Writes an unsigned LEB128 varint (1–10 bytes); used for lengths.</summary>
    public void WriteVarUInt64(ulong value)
    {
        if (value < 0x80)
        {
            Reserve(1) = (byte)value;
            return;
        }

        int start = _length;
        ref byte first = ref Reserve(10);
        int count = WriteVarUInt64(ref first, value);
        _length = start + count;
    }

    /// <summary>Writes a non-null string: varint byte length, then UTF-8 bytes.</summary>
    /// <exception cref="ArgumentException">The string holds a lone surrogate, which UTF-8 cannot carry exactly.</exception>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > OnePassStringLimit)
        {
            WriteLongString(value);
            return;
        }

        // One pass: reserve the worst case (3 bytes per UTF-16 unit) after room for its varint, transcode
        // straight into the buffer, then write the real length in front; if the real length's varint is
        // shorter than the room left for it, slide the bytes down.
        int maxBytes = value.Length * 3;
        int prefix = VarUInt64Size((ulong)maxBytes);
        int start = _length;
        EnsureCapacity(prefix + maxBytes);
        Span<byte> destination = _buffer.AsSpan(start + prefix, maxBytes);
        OperationStatus status = Utf8.FromUtf16(value, destination, out _, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            throw LoneSurrogate(nameof(value), null);
        }

        int lengthSize = WriteVarUInt64(ref _buffer[start], (ulong)written);
        if (lengthSize != prefix)
        {
            destination.Slice(0, written).CopyTo(_buffer.AsSpan(start + lengthSize));
        }

        _length = start + lengthSize + written;
    }

    /// <summary>Writes a non-null byte array: varint length, then the bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteVarUInt64((ulong)value.Length);
        int start = _length;
        Reserve(value.Length);
        value.CopyTo(_buffer.AsSpan(start, value.Length));
    }

    private void WriteLongString(string value)
    {
        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw LoneSurrogate(nameof(value), ex);
        }

        WriteVarUInt64((ulong)byteCount);
        int start = _length;
        Reserve(byteCount);
        StrictUtf8.GetBytes(value, _buffer.AsSpan(start, byteCount));
    }

    private static ArgumentException LoneSurrogate(string parameter, Exception? inner) =>
        new("The string is not valid UTF-16 (it holds a lone surrogate), so it cannot be encoded exactly.", parameter, inner);

    /// <summary>How many bytes the LEB128 varint of <paramref name="value"/> takes.</summary>
    private static int VarUInt64Size(ulong value) => value == 0 ? 1 : (70 - BitOperations.LeadingZeroCount(value)) / 7;

    /// <summary>Writes the LEB128 varint of <paramref name="value"/> at <paramref name="destination"/> (room for 10 bytes); returns its size.</summary>
    private static int WriteVarUInt64(ref byte destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            Unsafe.Add(ref destination, i++) = (byte)(value | 0x80);
            value >>= 7;
        }

        Unsafe.Add(ref destination, i++) = (byte)value;
        return i;
    }

    private static uint LittleEndian(uint value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    private static int LittleEndian(int value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    private static long LittleEndian(long value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    private static ulong LittleEndian(ulong value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    private static short LittleEndian(short value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    private static ushort LittleEndian(ushort value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    /// <summary>
    /// Counts <paramref name="count"/> (≥ 0) more bytes as written and returns a reference to the first; the
    /// caller stores exactly that many. One capacity check; growth is out of line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref byte Reserve(int count)
    {
        int length = _length;
        byte[] buffer = _buffer;
        if ((uint)count > (uint)(buffer.Length - length))
        {
            buffer = Grow(count);
        }

        _length = length + count;
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer), (nint)(uint)length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] Grow(int count)
    {
        int needed = checked(_length + count);
        Array.Resize(ref _buffer, Math.Max(needed, (int)Math.Min(Array.MaxLength, (long)_buffer.Length * 2)));
        return _buffer;
    }
}
