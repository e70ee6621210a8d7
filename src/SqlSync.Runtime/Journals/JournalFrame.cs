using System.Buffers.Binary;
using System.IO.Hashing;

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
        if (payload.Length > MaxPayloadBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"A journal entry of {payload.Length} bytes is larger than the limit of {MaxPayloadBytes} bytes.");
        }

        byte[] frame = new byte[Overhead + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(4), lsn.Value);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        int body = HeaderSize + payload.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(body), XxHash3.HashToUInt64(frame.AsSpan(0, body)));
        return frame;
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
        return BinaryPrimitives.ReadUInt64LittleEndian(frame[body..]) == XxHash3.HashToUInt64(frame[..body]);
    }

    /// <summary>The payload of a whole frame.</summary>
    public static ReadOnlyMemory<byte> Payload(ReadOnlyMemory<byte> frame) =>
        frame[HeaderSize..^TrailerSize];
}
