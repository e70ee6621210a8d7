using System.Buffers.Binary;
using System.IO.Hashing;
using SqlSync.Journals;

namespace SqlSync.Storage.Azure;

/// <summary>
/// One journal blob (docs/formats.md, "Journal batch blob"): the entries of one flush, LSNs <c>first</c> to
/// <c>first + count - 1</c>. Layout, little-endian: magic "SQJB", version (u16), reserved (u16), first LSN (u64),
/// count (u32), then per entry its length (u32) and payload, then an XxHash3 (u64) of every byte before it.
/// A blob is created whole or not at all, so a bad checksum is damage, never a torn write.
/// </summary>
internal static class JournalBatch
{
    public const uint Magic = 0x424A5153; // "SQJB" read as little-endian bytes
    public const ushort Version = 1;
    private const int HeaderSize = 4 + 2 + 2 + 8 + 4;
    private const int TrailerSize = 8;

    /// <summary>Encodes <paramref name="entries"/> as the batch starting at <paramref name="first"/>.</summary>
    public static byte[] Encode(Lsn first, IReadOnlyList<byte[]> entries)
    {
        long size = HeaderSize + TrailerSize;
        foreach (byte[] entry in entries)
        {
            size += 4 + entry.Length;
        }

        if (size > int.MaxValue)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"A journal batch of {size} bytes is larger than one blob write may be here.");
        }

        byte[] blob = new byte[size];
        Span<byte> span = blob;
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], first.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)entries.Count);
        int offset = HeaderSize;
        foreach (byte[] entry in entries)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], (uint)entry.Length);
            entry.CopyTo(span[(offset + 4)..]);
            offset += 4 + entry.Length;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(span[offset..], XxHash3.HashToUInt64(span[..offset]));
        return blob;
    }

    /// <summary>
    /// Checks <paramref name="blob"/> whole (magic, version, first LSN, lengths, checksum) and returns its entries;
    /// throws <see cref="SqlSyncErrorCode.JournalCorrupt"/> naming <paramref name="label"/> otherwise.
    /// </summary>
    public static ReadOnlyMemory<byte>[] Validate(ReadOnlyMemory<byte> blob, Lsn expectedFirst, string label)
    {
        ReadOnlySpan<byte> span = blob.Span;
        if (span.Length < HeaderSize + TrailerSize || BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic)
        {
            throw Corrupt(label, "it is not a journal batch (no SQJB header)");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(span[4..]) != Version)
        {
            throw Corrupt(label, $"its version {BinaryPrimitives.ReadUInt16LittleEndian(span[4..])} is not {Version}");
        }

        int body = span.Length - TrailerSize;
        if (BinaryPrimitives.ReadUInt64LittleEndian(span[body..]) != XxHash3.HashToUInt64(span[..body]))
        {
            throw Corrupt(label, "its checksum does not match");
        }

        ulong first = BinaryPrimitives.ReadUInt64LittleEndian(span[8..]);
        if (first != expectedFirst.Value)
        {
            throw Corrupt(label, $"it starts at LSN {first}, not at the {expectedFirst} its name says");
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
        if (count == 0 || count > (uint)(body - HeaderSize) / 4)
        {
            throw Corrupt(label, $"its entry count {count} does not fit its size");
        }

        var entries = new ReadOnlyMemory<byte>[count];
        int offset = HeaderSize;
        for (int i = 0; i < entries.Length; i++)
        {
            if (body - offset < 4)
            {
                throw Corrupt(label, $"entry {i} runs past its end");
            }

            uint length = BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            if (length > (uint)(body - offset - 4))
            {
                throw Corrupt(label, $"entry {i} runs past its end");
            }

            entries[i] = blob.Slice(offset + 4, (int)length);
            offset += 4 + (int)length;
        }

        if (offset != body)
        {
            throw Corrupt(label, "bytes follow its last entry");
        }

        return entries;
    }

    private static SqlSyncException Corrupt(string label, string why) =>
        new(SqlSyncErrorCode.JournalCorrupt, $"The journal blob '{label}' is damaged: {why}. Restore the container from a backup.");
}
