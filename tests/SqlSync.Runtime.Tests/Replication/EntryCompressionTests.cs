using System.Buffers.Binary;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;
using Xunit.Abstractions;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>
/// Protocol version 2 entries on the wire: compressible entries go as LZ4 blocks, others raw; frames
/// round-trip byte for byte and deterministically; a lying or corrupt entry is a protocol error and nothing
/// else, and decompressed entries never exceed the frame limit.
/// </summary>
public sealed class EntryCompressionTests
{
    private readonly ITestOutputHelper _output;

    public EntryCompressionTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void RealStorageEntriesCompressAndRoundTripByteForByte()
    {
        using var coordinators = new TestCoordinators { StepImmediately = false };
        CoordinatorDocument coordinator = coordinators.GetDocument("pages");
        using var writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "pages", Reducer = Reducer });
        writer.Mutate(new CreateSchema());
        for (int i = 0; i < 300; i++)
        {
            writer.Mutate(new Insert(i, $"item number {i} of the compression test", i * 7));
        }

        JournalPartial timeline = writer.PrepareTimelineSync(coordinator.GetTimelineRange(writer.TimelineId))!;
        coordinator.ReceiveTimeline(writer.TimelineId, timeline);
        coordinator.StepAll();
        JournalPartial storage = coordinator.PrepareStorageSync(LsnRange.Empty)!;

        var message = new StorageEntriesMessage("pages", storage);
        byte[] frame = SyncMessageCodec.Encode(message);
        var decoded = (StorageEntriesMessage)SyncMessageCodec.Decode(frame);

        AssertSameEntries(storage, decoded.Entries);
        Assert.Equal(frame, SyncMessageCodec.Encode(new StorageEntriesMessage("pages", decoded.Entries)));
        _output.WriteLine($"{storage.Entries.Count} storage entries of {storage.ByteCount} bytes → a frame of {frame.Length} bytes ({(double)storage.ByteCount / frame.Length:F1}x); entries: " +
            string.Join(", ", ParseStorage(frame, "pages").Zip(storage.Entries, (e, raw) => $"{raw.Length} → {e.Payload.Length} ({(e.Encoding == EntryCompression.Raw ? "raw" : "LZ4")})")));
        Assert.True(frame.Length < storage.ByteCount / 2, $"a frame of {frame.Length} bytes for {storage.ByteCount} bytes of entries");
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void PageLikeEntriesShrinkAndRoundTrip()
    {
        // Zeros compress close to LZ4's limit of 255x, which the decoder relies on to refuse impossible raw lengths.
        byte[][] pages = { PageLike(1, 4096), PageLike(2, 3 * 4096 + 100), PageLike(3, 1 << 20), new byte[4 << 20] };
        var partial = Partial(pages);

        byte[] frame = SyncMessageCodec.Encode(new TimelineEntriesMessage("doc", partial));
        var decoded = (TimelineEntriesMessage)SyncMessageCodec.Decode(frame);

        AssertSameEntries(partial, decoded.Entries);
        _output.WriteLine($"page-like entries of {partial.ByteCount} bytes → a frame of {frame.Length} bytes ({(double)partial.ByteCount / frame.Length:F1}x); blocks: " +
            string.Join(", ", Parse(frame).Zip(pages, (e, raw) => $"{raw.Length} → {e.Payload.Length}")));
        Assert.True(frame.Length < partial.ByteCount / 2, $"a frame of {frame.Length} bytes for {partial.ByteCount} bytes of entries");
        Assert.All(EncodingsOf(frame), e => Assert.Equal(EntryCompression.Lz4Block, e));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void IncompressibleAndTinyEntriesAreWrittenRaw()
    {
        byte[] noise = new byte[4096];
        new Random(7).NextBytes(noise);
        byte[] tinyZeros = new byte[EntryCompression.MinCompressedLength - 1];
        byte[][] entries = { noise, tinyZeros, Array.Empty<byte>(), new byte[] { 42 } };

        byte[] frame = SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entries)));

        // Exactly the version 1 entry layout, each behind an encoding byte 0.
        Assert.Equal(StorageFrame(entries.Length, w =>
        {
            foreach (byte[] entry in entries)
            {
                w.WriteByte(EntryCompression.Raw);
                w.WriteBytes(entry);
            }
        }), frame);
        AssertSameEntries(Partial(entries), ((StorageEntriesMessage)SyncMessageCodec.Decode(frame)).Entries);
        _output.WriteLine($"random and tiny entries of {entries.Sum(e => e.Length)} bytes → a frame of {frame.Length} bytes (raw)");
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void TheThresholdIs256BytesAndSevenEighths()
    {
        Assert.Equal(EntryCompression.Raw, EncodingsOf(Encode(new byte[255])).Single());
        Assert.Equal(EntryCompression.Lz4Block, EncodingsOf(Encode(new byte[256])).Single());

        // Half noise, half zeros: LZ4 saves close to half, well within 7/8. Noise with a short zero tail saves too little.
        byte[] half = new byte[1024];
        new Random(3).NextBytes(half.AsSpan(0, 512));
        Assert.Equal(EntryCompression.Lz4Block, EncodingsOf(Encode(half)).Single());
        byte[] mostlyNoise = new byte[1024];
        new Random(3).NextBytes(mostlyNoise.AsSpan(0, 1024 - 64));
        Assert.Equal(EntryCompression.Raw, EncodingsOf(Encode(mostlyNoise)).Single());

        foreach (byte[] entry in new[] { new byte[256], half, mostlyNoise })
        {
            AssertSameEntries(Partial(entry), ((StorageEntriesMessage)SyncMessageCodec.Decode(Encode(entry))).Entries);
        }
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void EncodingIsDeterministic()
    {
        byte[][] entries = { PageLike(9, 4096), PageLike(10, 70_000), new byte[300], new byte[] { 1, 2, 3 } };
        byte[] first = SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entries)));
        byte[] second = SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entries.Select(e => e.ToArray()).ToArray())));
        Assert.Equal(first, second);
        Assert.Equal(first, SyncMessageCodec.Encode(SyncMessageCodec.Decode(first)));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void AFrameOfVersion1IsRefused()
    {
        byte[] frame = Encode(new byte[10]);
        frame[2] = 1;
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, DecodeError(frame));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void AnUnknownEncodingIsMalformed()
    {
        foreach (byte encoding in new byte[] { 2, 3, 0x80, 0xFF })
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(StorageFrame(1, w =>
            {
                w.WriteByte(encoding);
                w.WriteBytes(new byte[] { 1, 2, 3 });
            })));
        }
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void LyingRawLengthsAreMalformed()
    {
        byte[] raw = PageLike(5, 4096);
        byte[] block = BlockOf(raw);
        Assert.True(block.Length < raw.Length / 2);

        Assert.Equal(raw, ((StorageEntriesMessage)SyncMessageCodec.Decode(Lz4Frame(raw.Length, block))).Entries.Entries[0].ToArray());
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(0, block)));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(0, Array.Empty<byte>())));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(raw.Length - 1, block))); // shorter than the block's output
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(1, block)));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(raw.Length + 1, block))); // longer
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(raw.Length * 2, block)));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(block.Length * 255 + 1, block))); // more than LZ4 can expand
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(raw.Length, Array.Empty<byte>())));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void CorruptBlocksAreMalformed()
    {
        byte[] raw = PageLike(6, 4096);
        byte[] block = BlockOf(raw);
        var corrupt = new List<byte[]>
        {
            block[..^1], // the last literals cut short
            block[..(block.Length / 2)],
            Enumerable.Repeat((byte)0xFF, block.Length).ToArray(), // runaway literal lengths
            new byte[] { 0x00, 0x00, 0x00 }, // a match with no literals before it: offset 0
            new byte[] { 0x14, 0x41, 0xFF, 0x7F, 0x50, 1, 2, 3, 4, 5 }, // a match 32 KiB before the start
            new byte[block.Length],
        };
        var random = new Random(11);
        for (int i = 0; i < 200; i++)
        {
            byte[] garbage = new byte[random.Next(1, 200)];
            random.NextBytes(garbage);
            corrupt.Add(garbage);
        }

        foreach (byte[] bad in corrupt)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(Lz4Frame(raw.Length, bad)));
        }

        // Flipped bits: LZ4 has no checksum, so a flip inside literals decodes to other bytes (the storage
        // checksum catches those); the rest must be protocol errors, never another exception.
        int refused = 0;
        for (int i = 0; i < 2000; i++)
        {
            byte[] flipped = block.ToArray();
            flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                SyncMessageCodec.Decode(Lz4Frame(raw.Length, flipped));
            }
            catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.Protocol)
            {
                Assert.Equal(ProtocolErrorCode.MalformedFrame, ex.Data[nameof(ProtocolErrorCode)]);
                refused++;
            }
        }

        Assert.True(refused > 0);
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void DecompressedEntriesMayNotExceedTheFrameLimit()
    {
        const int limit = SyncProtocol.MinMaxFrameBytes;
        byte[] exact = PageLike(7, limit);
        byte[] frame = Encode(exact);
        Assert.True(frame.Length < limit / 4);
        Assert.Equal(exact, ((StorageEntriesMessage)SyncMessageCodec.Decode(frame, limit)).Entries.Entries[0].ToArray()); // exactly the limit: fine

        Assert.Equal(ProtocolErrorCode.FrameTooLarge, DecodeError(Encode(PageLike(7, limit + 1)), limit));

        // Summed over the frame, raw entries included.
        byte[] half = PageLike(8, limit / 2);
        Assert.Equal(ProtocolErrorCode.FrameTooLarge, DecodeError(SyncMessageCodec.Encode(new TimelineEntriesMessage("doc", Partial(half, half, new byte[] { 1 }))), limit));
        byte[] noise = new byte[limit / 4];
        new Random(1).NextBytes(noise);
        Assert.Equal(ProtocolErrorCode.FrameTooLarge, DecodeError(SyncMessageCodec.Encode(new TimelineEntriesMessage("doc", Partial(noise, PageLike(9, limit - noise.Length + 1)))), limit));
        SyncMessageCodec.Decode(SyncMessageCodec.Encode(new TimelineEntriesMessage("doc", Partial(noise, PageLike(9, limit - noise.Length)))), limit);

        // A claim far beyond the limit, or beyond any int, is refused before anything is allocated.
        byte[] block = BlockOf(PageLike(5, 4096));
        Assert.Equal(ProtocolErrorCode.FrameTooLarge, DecodeError(Lz4Frame(int.MaxValue, block)));
        Assert.Equal(ProtocolErrorCode.FrameTooLarge, DecodeError(StorageFrame(1, w =>
        {
            w.WriteByte(EntryCompression.Lz4Block);
            w.WriteVarUInt64(ulong.MaxValue);
            w.WriteBytes(block);
        })));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void TheEntryCountMustFitTwoBytesAnEntry()
    {
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(StorageFrame(3, w =>
        {
            w.WriteByte(EntryCompression.Raw);
            w.WriteBytes(Array.Empty<byte>());
            w.WriteByte(EntryCompression.Raw);
        })));
    }

    /// <summary>Bytes shaped like a SQLite b-tree page: a header, a cell pointer array, free space, then records of text and numbers.</summary>
    private static byte[] PageLike(int seed, int length)
    {
        var random = new Random(seed);
        byte[] page = new byte[length];
        for (int at = 0; at < length; at += 4096)
        {
            Span<byte> one = page.AsSpan(at, Math.Min(4096, length - at));
            one[0] = 0x0D;
            for (int p = 8; p + 2 <= Math.Min(one.Length, 200); p += 2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(one[p..], (ushort)(4096 - (p - 8) * 20));
            }

            for (int cell = Math.Min(one.Length, 1200); cell + 40 <= one.Length; cell += 40)
            {
                one[cell] = 38;
                one[cell + 1] = (byte)random.Next(256);
                "item number of the compression test"u8.CopyTo(one[(cell + 3)..]);
                one[cell + 2] = (byte)random.Next(10);
            }
        }

        return page;
    }

    private static JournalPartial Partial(params byte[][] entries) =>
        new(LsnRange.Inclusive(new Lsn(3), new Lsn(3 + (ulong)entries.Length - 1)), entries.Select(e => (ReadOnlyMemory<byte>)e).ToArray());

    private static byte[] Encode(byte[] entry) => SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entry)));

    /// <summary>A storage frame for "doc" with entries from LSN 3, their bytes written by <paramref name="entries"/>.</summary>
    private static byte[] StorageFrame(int count, Action<MutationWriter> entries)
    {
        var writer = new MutationWriter();
        writer.WriteUInt16(SyncProtocol.Magic);
        writer.WriteByte((byte)SyncProtocol.Version);
        writer.WriteByte((byte)SyncMessageType.StorageEntries);
        writer.WriteUInt32(0);
        writer.WriteString("doc");
        writer.WriteVarUInt64(3);
        writer.WriteVarUInt64((ulong)count);
        entries(writer);
        byte[] frame = writer.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)(frame.Length - SyncProtocol.HeaderSize));
        return frame;
    }

    private static byte[] Lz4Frame(long rawLength, byte[] block) => StorageFrame(1, w =>
    {
        w.WriteByte(EntryCompression.Lz4Block);
        w.WriteVarUInt64((ulong)rawLength);
        w.WriteBytes(block);
    });

    /// <summary>The encoding byte of each entry of a storage or timeline frame for "doc".</summary>
    private static List<byte> EncodingsOf(byte[] frame) => Parse(frame).Select(e => e.Encoding).ToList();

    /// <summary>The LZ4 block the encoder writes for <paramref name="raw"/> (which must compress).</summary>
    private static byte[] BlockOf(byte[] raw)
    {
        (byte encoding, byte[] payload) = Parse(Encode(raw)).Single();
        Assert.Equal(EntryCompression.Lz4Block, encoding);
        return payload;
    }

    private static List<(byte Encoding, byte[] Payload)> Parse(byte[] frame) => ParseStorage(frame, "doc");

    private static List<(byte Encoding, byte[] Payload)> ParseStorage(byte[] frame, string documentId)
    {
        var reader = new MutationReader(frame.AsSpan(SyncProtocol.HeaderSize));
        Assert.Equal(documentId, reader.ReadString());
        reader.ReadVarUInt64();
        ulong count = reader.ReadVarUInt64();
        var entries = new List<(byte, byte[])>();
        for (ulong i = 0; i < count; i++)
        {
            byte encoding = reader.ReadByte();
            if (encoding == EntryCompression.Lz4Block)
            {
                reader.ReadVarUInt64();
            }

            entries.Add((encoding, reader.ReadBytes()));
        }

        reader.EnsureAtEnd();
        return entries;
    }

    private static void AssertSameEntries(JournalPartial expected, JournalPartial actual)
    {
        Assert.Equal(expected.Range, actual.Range);
        Assert.Equal(expected.Entries.Count, actual.Entries.Count);
        for (int i = 0; i < expected.Entries.Count; i++)
        {
            Assert.True(expected.Entries[i].Span.SequenceEqual(actual.Entries[i].Span), $"entry {i} differs after the round trip");
        }
    }

    /// <summary>The protocol error code of a refused frame; any other exception fails the test.</summary>
    private static ProtocolErrorCode DecodeError(byte[] frame, int maxFrameBytes = SyncProtocol.DefaultMaxFrameBytes)
    {
        var error = Assert.Throws<SqlSyncException>(() => SyncMessageCodec.Decode(frame, maxFrameBytes));
        Assert.Equal(SqlSyncErrorCode.Protocol, error.Code);
        return Assert.IsType<ProtocolErrorCode>(error.Data[nameof(ProtocolErrorCode)]);
    }
}
