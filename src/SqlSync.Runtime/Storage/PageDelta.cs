using System.Buffers.Binary;

namespace SqlSync.Storage;

/// <summary>
/// A storage entry as a difference against the committed view one LSN before it (docs/formats.md, "Page delta";
/// decision 0025). Same layout as <see cref="StorageEntry"/> with magic "SQSD" and a longer header: u64 checksum
/// before and u32 database size before follow the entry's fields, and each page body is the new page XOR the page
/// at the previous LSN (zeros beyond the previous size, so a page first written is its own delta). Mostly zeros, it
/// compresses to a few dozen bytes on the wire. Only the wire carries it: the receiver rebuilds the full entry from
/// its own committed view, and journals hold full entries.
/// </summary>
internal static class PageDelta
{
    /// <summary>The first four bytes of a delta: "SQSD" little-endian.</summary>
    public const uint Magic = 0x44535153;

    /// <summary>The delta format version this code writes and reads.</summary>
    public const ushort Version = 1;

    /// <summary>Entry header (24) + checksum before (8) + size before (4) + reserved (4).</summary>
    public const int HeaderSize = 40;

    /// <summary>True when <paramref name="data"/> starts with the delta magic (a full entry starts with "SQSP").</summary>
    public static bool IsDelta(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(data) == Magic;

    /// <summary>
    /// The delta of <paramref name="entry"/> (a full entry's bytes) against <paramref name="before"/>, the committed
    /// view at the LSN before it.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> entry, PageView before)
    {
        int bodyLength = entry.Length - StorageEntry.HeaderSize;
        byte[] delta = new byte[HeaderSize + bodyLength];
        Span<byte> span = delta;
        entry[..StorageEntry.HeaderSize].CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], before.Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(span[32..], before.Size);
        entry[StorageEntry.HeaderSize..].CopyTo(span[HeaderSize..]);

        int count = BinaryPrimitives.ReadInt32LittleEndian(entry[12..]);
        int bodies = HeaderSize + (count * 4);
        for (int i = 0; i < count; i++)
        {
            uint number = BinaryPrimitives.ReadUInt32LittleEndian(span[(HeaderSize + (i * 4))..]);
            Xor(span.Slice(bodies + (i * StorageFormat.PageSize), StorageFormat.PageSize), before.Page(number));
        }

        return delta;
    }

    /// <summary>
    /// Rebuilds the full entry from <paramref name="delta"/> and <paramref name="committed"/>, the receiver's committed
    /// view (never its pending writes) at the LSN before. A malformed delta is <see cref="SqlSyncErrorCode.PageDeltaCorrupt"/>;
    /// a view whose checksum or size is not the one the delta was made against is
    /// <see cref="SqlSyncErrorCode.PageDeltaBaseMismatch"/>. Nothing is changed either way. Whether the rebuilt pages give
    /// the entry's checksum after is the caller's check (<see cref="PageStorage.ApplyReceived"/>).
    /// </summary>
    public static byte[] Resolve(ReadOnlySpan<byte> delta, PageView committed, string document, Journals.Lsn lsn)
    {
        if (delta.Length < HeaderSize)
        {
            throw Corrupt(document, lsn, $"it is {delta.Length} bytes, shorter than the {HeaderSize}-byte header");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(delta[4..]);
        if (!IsDelta(delta) || version != Version)
        {
            throw Corrupt(document, lsn, $"magic 0x{BinaryPrimitives.ReadUInt32LittleEndian(delta):X8} version {version}; this build reads \"SQSD\" version {Version}");
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(delta[12..]);
        long expected = HeaderSize + ((long)count * (4 + StorageFormat.PageSize));
        if (delta.Length != expected || BinaryPrimitives.ReadUInt32LittleEndian(delta[36..]) != 0)
        {
            throw Corrupt(document, lsn, $"{count} page(s) need {expected} bytes and a zero reserved field; the delta has {delta.Length} bytes");
        }

        ulong checksumBefore = BinaryPrimitives.ReadUInt64LittleEndian(delta[24..]);
        uint sizeBefore = BinaryPrimitives.ReadUInt32LittleEndian(delta[32..]);
        if (checksumBefore != committed.Checksum || sizeBefore != committed.Size)
        {
            throw new SqlSyncException(SqlSyncErrorCode.PageDeltaBaseMismatch,
                $"Document '{document}': the page delta at storage LSN {lsn} was made against {sizeBefore} pages with checksum 0x{checksumBefore:X16}, " +
                $"but this replica's committed view has {committed.Size} pages with checksum 0x{committed.Checksum:X16}; nothing was applied.");
        }

        byte[] entry = new byte[StorageEntry.HeaderSize + (delta.Length - HeaderSize)];
        Span<byte> span = entry;
        delta[..StorageEntry.HeaderSize].CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span, StorageEntry.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], StorageEntry.Version);
        delta[HeaderSize..].CopyTo(span[StorageEntry.HeaderSize..]);
        int bodies = StorageEntry.HeaderSize + ((int)count * 4);
        for (int i = 0; i < (int)count; i++)
        {
            // Out-of-range numbers read as zeros here; StorageEntry.Decode refuses them next.
            uint number = BinaryPrimitives.ReadUInt32LittleEndian(span[(StorageEntry.HeaderSize + (i * 4))..]);
            Xor(span.Slice(bodies + (i * StorageFormat.PageSize), StorageFormat.PageSize), committed.Page(number));
        }

        return entry;
    }

    /// <summary>The error for a delta whose rebuilt pages do not give the entry's checksum after.</summary>
    public static SqlSyncException WrongResult(string document, Journals.Lsn lsn, ulong rebuilt, ulong expected) =>
        Corrupt(document, lsn, $"the rebuilt pages give checksum 0x{rebuilt:X16}, the coordinator's is 0x{expected:X16}");

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        // Pages are 4096 bytes: eight at a time.
        Span<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(target);
        ReadOnlySpan<ulong> others = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(other);
        for (int i = 0; i < words.Length; i++)
        {
            words[i] ^= others[i];
        }
    }

    private static SqlSyncException Corrupt(string document, Journals.Lsn lsn, string why) =>
        new(SqlSyncErrorCode.PageDeltaCorrupt, $"Document '{document}': the page delta at storage LSN {lsn} is corrupt: {why}; nothing was applied.");
}
