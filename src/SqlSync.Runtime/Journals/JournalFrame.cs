using System.Buffers.Binary;

namespace SqlSync.Journals;

/// <summary>
/// One journal entry as stored in a segment file (see docs/formats.md): payload length (u32), LSN (u64),
/// payload, then an XxHash3 checksum (u64) of the length, LSN and payload bytes. Little-endian.
/// </summary>
internal static class JournalFrame
{
    /// <summary>Bytes before the payload: length and LSN.</summary>
    public const int HeaderSize = 12;

    /// <summary>Bytes after the payload: the checksum.</summary>
    public const int TrailerSize = 8;

    /// <summary>Bytes a frame adds to its payload.</summary>
    public const int Overhead = HeaderSize + TrailerSize;

    /// <summary>The largest payload a frame may carry (1 GiB); longer length fields are damage.</summary>
    public const int MaxPayloadBytes = 1 << 30;

    /// <summary>The size of a frame with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static long SizeOf(long payloadLength) => Overhead + payloadLength;

    /// <summary>Encodes a whole frame into a new array.</summary>
    public static byte[] Encode(Lsn lsn, ReadOnlySpan<byte> payload)
    {
        CheckPayloadSize(payload.Length);
        byte[] frame = new byte[Overhead + payload.Length];
        EncodeInto(frame, lsn, payload);
        return frame;
    }

    /// <summary>Encodes a whole frame at the start of <paramref name="destination"/> (room for <see cref="SizeOf"/>) and returns its length.</summary>
    public static int EncodeInto(Span<byte> destination, Lsn lsn, ReadOnlySpan<byte> payload)
    {
        CheckPayloadSize(payload.Length);
        int body = HeaderSize + payload.Length;
        Span<byte> frame = destination[..(body + TrailerSize)];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[4..], lsn.Value);
        payload.CopyTo(frame[HeaderSize..]);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[body..], LongXxHash3.Hash(frame[..body]));
        return frame.Length;
    }

    /// <summary>
    /// Writes the header and the trailer of the frame of <paramref name="payload"/> into their own buffers, for a gathered
    /// write of header, payload and trailer: the same bytes as <see cref="EncodeInto"/> without copying the payload.
    /// </summary>
    public static void EncodeAround(Span<byte> header, Span<byte> trailer, Lsn lsn, ReadOnlySpan<byte> payload)
    {
        CheckPayloadSize(payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(header[4..], lsn.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, LongXxHash3.Hash(header[..HeaderSize], payload));
    }

    /// <summary>Throws when a payload of <paramref name="length"/> bytes is over <see cref="MaxPayloadBytes"/>.</summary>
    public static void CheckPayloadSize(int length)
    {
        if (length > MaxPayloadBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"A journal entry of {length} bytes is larger than the limit of {MaxPayloadBytes} bytes.");
        }
    }

    /// <summary>Reads the length and LSN fields of a frame header (at least <see cref="HeaderSize"/> bytes).</summary>
    public static (uint PayloadLength, Lsn Lsn) ReadHeader(ReadOnlySpan<byte> header) =>
        (BinaryPrimitives.ReadUInt32LittleEndian(header), new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(header[4..])));

    /// <summary>True when <paramref name="frame"/> (exactly one whole frame) carries a matching checksum.</summary>
    public static bool HasValidChecksum(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < Overhead)
        {
            return false;
        }

        int body = frame.Length - TrailerSize;
        return BinaryPrimitives.ReadUInt64LittleEndian(frame[body..]) == LongXxHash3.Hash(frame[..body]);
    }

    /// <summary>The payload of a whole frame.</summary>
    public static ReadOnlyMemory<byte> Payload(ReadOnlyMemory<byte> frame) =>
        frame[HeaderSize..^TrailerSize];
}
