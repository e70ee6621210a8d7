using System.Buffers.Binary;

namespace SqlSync.Storage;

/// <summary>
/// One storage journal entry: the pages one commit wrote, the database size in pages after it, and the
/// database checksum after it. Binary form (little-endian, docs/formats.md):
/// magic "SQSP", u16 version, u16 flags (0), u32 database size, u32 page count, u64 checksum after,
/// then page count × u32 page number (ascending), then page count × 4096 page bytes.
/// </summary>
internal sealed class StorageEntry : IPageSet
{
    /// <summary>The first four bytes of every storage entry.</summary>
    public const uint Magic = 0x50535153; // "SQSP" little-endian

    /// <summary>The format version this code writes and reads.</summary>
    public const ushort Version = 1;

    /// <summary>Size of the fixed header.</summary>
    public const int HeaderSize = 24;

    private readonly ReadOnlyMemory<byte> _data;

    private StorageEntry(ReadOnlyMemory<byte> data, uint databaseSize, int pageCount, ulong checksum)
    {
        _data = data;
        DatabaseSizeInPages = databaseSize;
        PageCount = pageCount;
        ChecksumAfter = checksum;
    }

    /// <summary>The database size in pages after this commit.</summary>
    public uint DatabaseSizeInPages { get; }

    /// <summary>How many pages this entry carries.</summary>
    public int PageCount { get; }

    /// <summary>The database checksum after this commit.</summary>
    public ulong ChecksumAfter { get; }

    /// <summary>The page number of the <paramref name="index"/>-th page.</summary>
    public uint PageNumberAt(int index) =>
        BinaryPrimitives.ReadUInt32LittleEndian(_data.Span.Slice(HeaderSize + (index * 4), 4));

    /// <summary>The bytes of the <paramref name="index"/>-th page.</summary>
    public ReadOnlySpan<byte> PageAt(int index) =>
        _data.Span.Slice(HeaderSize + (PageCount * 4) + (index * StorageFormat.PageSize), StorageFormat.PageSize);

    /// <summary>The <paramref name="index"/>-th page as a slice of the entry's buffer (no copy).</summary>
    public ReadOnlyMemory<byte> PageMemoryAt(int index) =>
        _data.Slice(HeaderSize + (PageCount * 4) + (index * StorageFormat.PageSize), StorageFormat.PageSize);

    /// <summary>Encodes an entry. <paramref name="pages"/> must be sorted by page number and each 4096 bytes.</summary>
    public static byte[] Encode(uint databaseSize, ulong checksumAfter, IReadOnlyList<KeyValuePair<uint, byte[]>> pages)
    {
        byte[] data = new byte[HeaderSize + (pages.Count * (4 + StorageFormat.PageSize))];
        Span<byte> span = data;
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], databaseSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)pages.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], checksumAfter);
        int numbers = HeaderSize;
        int bodies = HeaderSize + (pages.Count * 4);
        for (int i = 0; i < pages.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[(numbers + (i * 4))..], pages[i].Key);
            pages[i].Value.AsSpan(0, StorageFormat.PageSize).CopyTo(span[(bodies + (i * StorageFormat.PageSize))..]);
        }

        return data;
    }

    /// <summary>
    /// Decodes and validates an entry: magic, version, exact length, page numbers ascending, non-zero and
    /// within the database size. Throws <see cref="SqlSyncException"/> (StorageEntryCorrupt) otherwise.
    /// </summary>
    public static StorageEntry Decode(ReadOnlyMemory<byte> data)
    {
        ReadOnlySpan<byte> span = data.Span;
        if (span.Length < HeaderSize)
        {
            throw Corrupt($"it is {span.Length} bytes, shorter than the {HeaderSize}-byte header");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if (magic != Magic)
        {
            throw Corrupt($"bad magic 0x{magic:X8}");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != Version)
        {
            throw Corrupt($"unsupported version {version} (this build reads version {Version})");
        }

        uint size = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(span[16..]);
        long expected = HeaderSize + ((long)count * (4 + StorageFormat.PageSize));
        if (span.Length != expected)
        {
            throw Corrupt($"{count} page(s) need {expected} bytes but the entry has {span.Length}");
        }

        var entry = new StorageEntry(data, size, (int)count, checksum);
        uint previous = 0;
        for (int i = 0; i < entry.PageCount; i++)
        {
            uint number = entry.PageNumberAt(i);
            if (number <= previous || number > size)
            {
                throw Corrupt($"page number {number} at index {i} is out of order or beyond the database size {size}");
            }

            previous = number;
        }

        return entry;
    }

    private static SqlSyncException Corrupt(string why) =>
        new(SqlSyncErrorCode.StorageEntryCorrupt, $"Storage entry is corrupt: {why}.");
}
