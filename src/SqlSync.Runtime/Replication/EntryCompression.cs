using K4os.Compression.LZ4;
using SqlSync.Mutations;

namespace SqlSync.Replication;

/// <summary>
/// One journal entry of an <c>entries</c> field (docs/protocol.md): <c>u8 encoding</c>, then either the raw
/// <c>bytes</c> (encoding 0) or <c>varint raw length</c> + the LZ4 block as <c>bytes</c> (encoding 1). The only
/// place that calls LZ4, so the dependency sits here.
/// </summary>
internal static class EntryCompression
{
    /// <summary>The entry's bytes as they are.</summary>
    public const byte Raw = 0;

    /// <summary>The raw length, then one LZ4 block of the entry.</summary>
    public const byte Lz4Block = 1;

    /// <summary>Shorter entries are written raw: too little to gain for the work on both sides.</summary>
    public const int MinCompressedLength = 256;

    /// <summary>
    /// The longest LZ4 block kept for an entry of <paramref name="rawLength"/> bytes: 7/8 of it. A block that
    /// saves less is not worth the decoding on every client, so the entry goes raw.
    /// </summary>
    public static int MaxBlockLength(int rawLength) => (int)((long)rawLength * 7 / 8);

    /// <summary>
    /// Writes <paramref name="entry"/> encoded: an LZ4 block straight into the writer's buffer when the entry is
    /// long enough and compresses to at most <see cref="MaxBlockLength"/>, else raw. The same entry always gives
    /// the same bytes. Needs at most the entry's length + 6 bytes of room.
    /// </summary>
    public static void Write(MutationWriter writer, ReadOnlySpan<byte> entry)
    {
        if (entry.Length >= MinCompressedLength)
        {
            int start = writer.Length;
            writer.WriteByte(Lz4Block);
            writer.WriteVarUInt64((ulong)entry.Length);

            // The target is only as large as a block worth keeping: LZ4 gives up (a negative result) as soon
            // as the output would pass it, and the writer, presized for the raw entries, never grows here.
            int maxBlock = MaxBlockLength(entry.Length);
            Span<byte> target = writer.GetBytesSpan(maxBlock);
            int blockLength = Compressible(entry, target) ? LZ4Codec.Encode(entry, target, LZ4Level.L00_FAST) : -1;
            if (blockLength > 0)
            {
                writer.CommitBytes(maxBlock, blockLength);
                return;
            }

            writer.Truncate(start);
        }

        writer.WriteByte(Raw);
        writer.WriteBytes(entry);
    }

    /// <summary>Entries longer than this are tried on their first this many bytes before LZ4 runs over all of them.</summary>
    internal const int ProbeBytes = 64 << 10;

    /// <summary>
    /// False when the entry's first <see cref="ProbeBytes"/> do not save an eighth (pages of incompressible rows: the
    /// initial sync of decision 0039 spent 5% of its CPU on LZ4 attempts over a megabyte that were all given up). A
    /// cheap, deterministic guess: an entry that compresses only after its first 64 KiB goes raw. Uses
    /// <paramref name="scratch"/> (at least <see cref="MaxBlockLength"/> of the probe) for the attempt.
    /// </summary>
    private static bool Compressible(ReadOnlySpan<byte> entry, Span<byte> scratch) =>
        entry.Length <= 2 * ProbeBytes || LZ4Codec.Encode(entry[..ProbeBytes], scratch[..MaxBlockLength(ProbeBytes)], LZ4Level.L00_FAST) > 0;

    /// <summary>
    /// Reads one encoded entry. <paramref name="rawBudget"/> is what the entries of the frame may still take
    /// once decoded; each entry spends its raw length, so a frame never decodes to more than an uncompressed
    /// one could carry (<see cref="ProtocolErrorCode.FrameTooLarge"/>), checked before anything is allocated.
    /// Anything malformed is <see cref="ProtocolErrorCode.MalformedFrame"/>; no other exception escapes.
    /// </summary>
    public static ReadOnlyMemory<byte> Read(ref MutationReader reader, ref long rawBudget, ReadOnlyMemory<byte> payload = default)
    {
        byte encoding = reader.ReadByte();
        switch (encoding)
        {
            case Raw:
            {
                ReadOnlySpan<byte> raw = reader.ReadBytesSpan();
                Spend(ref rawBudget, (ulong)raw.Length);
                return Kept(raw, ref reader, payload);
            }

            case Lz4Block:
            {
                ulong rawLength = reader.ReadVarUInt64();
                if (rawLength == 0)
                {
                    throw Malformed("an LZ4 entry of raw length 0");
                }

                Spend(ref rawBudget, rawLength);
                ReadOnlySpan<byte> block = reader.ReadBytesSpan();

                // LZ4 expands at most 255 times (a match length byte stands for 255 bytes): a longer claim is a
                // lie, refused before allocating for it.
                if (rawLength > (ulong)block.Length * 255)
                {
                    throw Malformed($"an LZ4 block of {block.Length} bytes cannot hold {rawLength} bytes");
                }

                return Decompress(block, (int)rawLength);
            }

            default:
                throw Malformed($"entry encoding {encoding} is not defined");
        }
    }

    /// <summary>
    /// The bytes just read (<paramref name="raw"/>, the last the reader took) as a slice of <paramref name="payload"/>, the
    /// frame's payload the reader reads, when the caller keeps the frame (decision 0039); else a copy.
    /// </summary>
    internal static ReadOnlyMemory<byte> Kept(ReadOnlySpan<byte> raw, ref MutationReader reader, ReadOnlyMemory<byte> payload) =>
        payload.IsEmpty ? raw.ToArray() : payload.Slice(payload.Length - reader.Remaining - raw.Length, raw.Length);

    /// <summary>
    /// <paramref name="raw"/> as one LZ4 block when that saves at least an eighth (<see cref="MaxBlockLength"/>), else
    /// null: for data kept in memory compressed (<see cref="Storage.PageDeltaLog"/>).
    /// </summary>
    internal static byte[]? CompressBlock(ReadOnlySpan<byte> raw)
    {
        byte[] block = new byte[MaxBlockLength(raw.Length)];
        int length = raw.Length >= MinCompressedLength ? LZ4Codec.Encode(raw, block, LZ4Level.L00_FAST) : -1;
        return length > 0 ? block.AsSpan(0, length).ToArray() : null;
    }

    /// <summary>The inverse of <see cref="CompressBlock"/>, for blocks this process made.</summary>
    internal static byte[] DecompressBlock(ReadOnlySpan<byte> block, int rawLength) => Decompress(block, rawLength);

    private static byte[] Decompress(ReadOnlySpan<byte> block, int rawLength)
    {
        // Zeroed, not uninitialized: a hostile block (a match at offset 0) could copy bytes the decoder has not
        // written yet, and those must never be another buffer's leftovers.
        byte[] raw = new byte[rawLength];
        int decoded;
        try
        {
            decoded = LZ4Codec.Decode(block, raw);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The block decoder reports bad input with a negative result; should it ever throw, the peer still
            // gets a protocol error, not an internal one.
            throw ProtocolException.Create(ProtocolErrorCode.MalformedFrame, $"an LZ4 block does not decode: {ex.Message}");
        }

        return decoded == rawLength
            ? raw
            : throw Malformed(decoded < 0
                ? $"an LZ4 block is corrupt or decodes to more than its raw length {rawLength}"
                : $"an LZ4 block decodes to {decoded} bytes, not its raw length {rawLength}");
    }

    private static void Spend(ref long rawBudget, ulong rawLength)
    {
        if (rawLength > (ulong)rawBudget)
        {
            throw ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"the entries decode to more than the frame limit (an entry of {rawLength} bytes, {rawBudget} left)");
        }

        rawBudget -= (long)rawLength;
    }

    private static SqlSyncException Malformed(string why) => ProtocolException.Create(ProtocolErrorCode.MalformedFrame, why);
}
