using System.Buffers.Binary;
using System.IO.Hashing;

namespace SqlSync.Journals;

/// <summary>
/// The fixed 32-byte header at the start of every journal segment file (see docs/formats.md):
/// magic "SQSJ", format version, header size, first LSN, a reserved field and an XxHash3 checksum of the
/// bytes before it. Little-endian.
/// </summary>
internal readonly record struct JournalSegmentHeader(Lsn FirstLsn)
{
    /// <summary>The size of the header in bytes; frames start here.</summary>
    public const int Size = 32;

    /// <summary>The format version this code writes and reads.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>"SQSJ" in ASCII, read as a little-endian u32.</summary>
    public const uint Magic = 0x4A535153;

    private const int ChecksumOffset = 24;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Encode(Span<byte> destination)
    {
        Span<byte> header = destination[..Size];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], FirstLsn.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(header[ChecksumOffset..], XxHash3.HashToUInt64(header[..ChecksumOffset]));
    }

    /// <summary>
    /// Checks magic, checksum, version, header size and the reserved field of <paramref name="source"/>,
    /// then decodes it. Returns null and a reason when any check fails.
    /// </summary>
    public static JournalSegmentHeader? Validate(ReadOnlySpan<byte> source, out string? problem)
    {
        if (source.Length < Size)
        {
            problem = $"the file is {source.Length} bytes, shorter than the {Size}-byte segment header";
            return null;
        }

        ReadOnlySpan<byte> header = source[..Size];
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            problem = "the segment header does not start with the magic \"SQSJ\"";
            return null;
        }

        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(header[ChecksumOffset..]);
        if (stored != XxHash3.HashToUInt64(header[..ChecksumOffset]))
        {
            problem = "the segment header fails its checksum";
            return null;
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != CurrentVersion)
        {
            problem = $"the segment format version is {version}; this build reads version {CurrentVersion}";
            return null;
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) != Size || BinaryPrimitives.ReadUInt64LittleEndian(header[16..]) != 0)
        {
            problem = "the segment header has an unexpected size or a non-zero reserved field";
            return null;
        }

        problem = null;
        return new JournalSegmentHeader(new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(header[8..])));
    }
}
