using System.Buffers.Binary;
using System.IO.Hashing;
using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// The fixed header at offset 0 of a checkpoint file (docs/formats.md, "Checkpoint files"). The page image
/// that follows covers the storage LSNs [<see cref="FirstLsn"/>, <see cref="Lsn"/>]: it is the page view at
/// <see cref="Lsn"/>, and entries up to it may be dropped.
/// </summary>
internal readonly record struct CheckpointHeader(uint DatabaseSizeInPages, Lsn FirstLsn, Lsn Lsn, ulong Checksum)
{
    /// <summary>ASCII <c>SQSK</c>.</summary>
    public const uint Magic = 0x4B535153;

    public const ushort Version = 1;

    /// <summary>Bytes of the header proper; the rest of the first page is zeros, so page n sits at n × 4096.</summary>
    public const int Size = 64;

    /// <summary>Where page <paramref name="pageNumber"/> (1-based) starts: fixed, so a page cache can read it positionally.</summary>
    public static long PageOffset(uint pageNumber) => (long)pageNumber * StorageFormat.PageSize;

    /// <summary>Where the page-hash table starts (after the last page).</summary>
    public long TableOffset => PageOffset(DatabaseSizeInPages + 1);

    /// <summary>The whole file's length: header page, pages, the hash table and its checksum.</summary>
    public long FileLength => TableOffset + 8L * DatabaseSizeInPages + 8;

    public void Encode(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], StorageFormat.PageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], DatabaseSizeInPages);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], FirstLsn.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], Lsn.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[32..], Checksum);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[40..], (ulong)TableOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[56..], XxHash3.HashToUInt64(destination[..56]));
    }

    /// <summary>Decodes and validates a header; <paramref name="file"/> names the file in the error.</summary>
    public static CheckpointHeader Decode(ReadOnlySpan<byte> source, string file)
    {
        if (source.Length < Size)
        {
            throw Corrupt(file, "it is shorter than its header");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            throw Corrupt(file, "its magic is not SQSK");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(source[56..]) != XxHash3.HashToUInt64(source[..56]))
        {
            throw Corrupt(file, "its header checksum does not match");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if (version != Version)
        {
            throw Corrupt(file, $"its version is {version}; this build reads version {Version}");
        }

        var header = new CheckpointHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]),
            new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(source[16..])),
            new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(source[24..])),
            BinaryPrimitives.ReadUInt64LittleEndian(source[32..]));
        if (BinaryPrimitives.ReadUInt16LittleEndian(source[6..]) != Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source[8..]) != StorageFormat.PageSize
            || BinaryPrimitives.ReadUInt64LittleEndian(source[40..]) != (ulong)header.TableOffset
            || BinaryPrimitives.ReadUInt64LittleEndian(source[48..]) != 0
            || header.Lsn < header.FirstLsn)
        {
            throw Corrupt(file, "its header fields are inconsistent (sizes, offsets or LSN range)");
        }

        return header;
    }

    public static SqlSyncException Corrupt(string file, string why) =>
        new(SqlSyncErrorCode.CheckpointCorrupt, $"Checkpoint '{file}' is corrupt: {why}.");
}
