using System.Buffers.Binary;
using System.ComponentModel;
using System.Text;

namespace SqlSync.Mutations.Generated;

/// <summary>
/// Reads a record written by <see cref="MutationWriter"/>. Every read checks the remaining length; a
/// truncated or malformed record throws <see cref="SqlSyncException"/> with
/// <see cref="SqlSyncErrorCode.MalformedMutation"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref partial struct MutationReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Starts reading at the beginning of <paramref name="data"/>.</summary>
    public MutationReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>How many bytes are left.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool IsAtEnd => _position == _data.Length;

    /// <summary>Reads a record's tag.</summary>
    public uint ReadTag() => ReadUInt32();

    /// <summary>Reads a byte.</summary>
    public byte ReadByte() => Take(1)[0];

    /// <summary>Reads a boolean; a byte other than 0 or 1 is malformed.</summary>
    public bool ReadBoolean()
    {
        byte value = ReadByte();
        return value switch
        {
            0 => false,
            1 => true,
            _ => throw Malformed($"a boolean byte must be 0 or 1, not {value}"),
        };
    }

    /// <summary>Reads 4 bytes, little-endian.</summary>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Reads 4 bytes, little-endian.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads 8 bytes, little-endian.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads 8 bytes, little-endian.</summary>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads an IEEE 754 double.</summary>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>Reads an unsigned LEB128 varint of at most 10 bytes.</summary>
    public ulong ReadVarUInt64()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 63 && b > 1)
            {
                throw Malformed("a varint overflows 64 bits");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Malformed("a varint is longer than 10 bytes");
    }

    /// <summary>Reads a string written by <see cref="MutationWriter.WriteString"/>.</summary>
    public string ReadString()
    {
        ReadOnlySpan<byte> bytes = Take(ReadLength());
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SqlSyncException(SqlSyncErrorCode.MalformedMutation, "Malformed mutation record: a string is not valid UTF-8.", ex);
        }
    }

    /// <summary>Reads a byte array written by <see cref="MutationWriter.WriteBytes(ReadOnlySpan{byte})"/>.</summary>
    public byte[] ReadBytes() => Take(ReadLength()).ToArray();

    /// <summary>Reads a byte array like <see cref="ReadBytes"/>, without copying: a view of the record's bytes.</summary>
    internal ReadOnlySpan<byte> ReadBytesSpan() => Take(ReadLength());

    /// <summary>Throws unless every byte was read: trailing bytes mean the record is not what the reader expects.</summary>
    public readonly void EnsureAtEnd()
    {
        if (!IsAtEnd)
        {
            throw Malformed($"{Remaining} unexpected trailing byte(s)");
        }
    }

    private int ReadLength()
    {
        ulong length = ReadVarUInt64();
        if (length > (ulong)Remaining)
        {
            throw Malformed($"a length of {length} exceeds the {Remaining} byte(s) left");
        }

        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw Malformed($"needed {count} more byte(s) at offset {_position}, only {Remaining} left");
        }

        ReadOnlySpan<byte> span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private static SqlSyncException Malformed(string why) =>
        new(SqlSyncErrorCode.MalformedMutation, $"Malformed mutation record: {why}.");
}
