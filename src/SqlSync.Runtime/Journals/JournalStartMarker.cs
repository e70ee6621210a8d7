using System.Buffers.Binary;
using System.IO.Hashing;

namespace SqlSync.Journals;

/// <summary>
/// The file <c>journal.start</c> that records the first live LSN after a <see cref="IJournal.DropPrefix"/>
/// (see docs/formats.md): magic "SQSS", version (u16), reserved (u16), first live LSN (u64), XxHash3
/// checksum (u64) of the bytes before it. Written to a temporary file, forced to disk and renamed over the
/// old one, so it is either the old or the new value, never torn. Its presence also means the journal has
/// been used, which matters to <see cref="IJournal.AppendAt"/>.
/// </summary>
internal static class JournalStartMarker
{
    public const string FileName = "journal.start";
    private const uint Magic = 0x53535153; // "SQSS"
    private const ushort Version = 1;
    private const int Size = 24;

    /// <summary>Reads the marker in <paramref name="directory"/>, or null when there is none.</summary>
    public static Lsn? Read(string directory, string? label = null)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length != Size
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)) != Version
            || BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)) != XxHash3.HashToUInt64(bytes.AsSpan(0, 16)))
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                $"{(label is null ? $"Journal start marker '{path}'" : $"The start marker of the {label} journal")} is damaged (wrong size, magic, version or checksum).");
        }

        return new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)));
    }

    /// <summary>Durably replaces the marker in <paramref name="directory"/> with <paramref name="firstLive"/>.</summary>
    public static void Write(string directory, Lsn firstLive)
    {
        byte[] bytes = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), firstLive.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), XxHash3.HashToUInt64(bytes.AsSpan(0, 16)));
        DurableFile.WriteAtomically(Path.Combine(directory, FileName), bytes);
    }
}
