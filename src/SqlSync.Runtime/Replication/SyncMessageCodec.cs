using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

/// <summary>
/// Encodes and decodes protocol frames: magic "SY" (u16), version (u8), type (u8), payload length (u32),
/// then the payload (docs/protocol.md). Payload fields use the mutation record primitives (varints,
/// UTF-8 strings); journal entries are LZ4-compressed one by one when that pays (<see cref="EntryCompression"/>).
/// Decoding checks every length against the bytes present and the frame limit, and the entries' decompressed
/// sizes against the frame limit too; any violation is a <see cref="SqlSyncErrorCode.Protocol"/> exception
/// carrying a <see cref="ProtocolErrorCode"/>.
/// </summary>
internal static class SyncMessageCodec
{
    /// <summary>The longest document id a frame may carry.</summary>
    public const int MaxDocumentIdLength = 128;

    /// <summary>Encodes <paramref name="message"/> as one frame, in an array of its own.</summary>
    public static byte[] Encode(SyncMessage message)
    {
        ReadOnlyMemory<byte> frame = EncodeToMemory(message);
        return MemoryMarshal.TryGetArray(frame, out ArraySegment<byte> segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : frame.ToArray();
    }

    /// <summary>
    /// Encodes <paramref name="message"/> as one frame, in a buffer sized by an estimate (no copy to trim it, no zeroing
    /// first: a storage message of a megabyte is written once, decision 0039). The bytes are never written to after.
    /// </summary>
    public static ReadOnlyMemory<byte> EncodeToMemory(SyncMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is StorageEntriesMessage { Frame: { } encoded })
        {
            return encoded; // a message the server shares among links: encoded by the first
        }

        int estimate = EstimateSize(message);
        MutationWriter writer = estimate > SmallFrameBytes ? MutationWriter.WithUninitializedBuffer(estimate) : new MutationWriter(estimate);
        Write(writer, message);
        ReadOnlyMemory<byte> frame = estimate > SmallFrameBytes ? writer.WrittenMemory : writer.ToArray(); // small ones: no slack kept
        PatchLength(frame);
        if (message is StorageEntriesMessage shared)
        {
            shared.Frame = frame;
        }

        return frame;
    }

    /// <summary>
    /// Encodes <paramref name="message"/> as one frame into <paramref name="buffer"/> (a pooled one: the caller sends the
    /// frame and then lets go of the buffer), or into a larger buffer of its own should the frame not fit.
    /// For an entry part (the only message sent this way) <see cref="MinBufferFor"/> is always enough.
    /// </summary>
    public static ReadOnlyMemory<byte> EncodeInto(SyncMessage message, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(message);
        MutationWriter writer = MutationWriter.Over(buffer);
        Write(writer, message);
        ReadOnlyMemory<byte> frame = writer.WrittenMemory;
        PatchLength(frame);
        return frame;
    }

    /// <summary>A buffer size that <see cref="EncodeInto"/> never outgrows for an entry part (an estimate for other messages).</summary>
    public static int MinBufferFor(SyncMessage message) => EstimateSize(message);

    private static void PatchLength(ReadOnlyMemory<byte> frame) =>
        BinaryPrimitives.WriteUInt32LittleEndian(MemoryMarshal.AsMemory(frame).Span[4..], (uint)(frame.Length - SyncProtocol.HeaderSize));

    /// <summary>The header (its length patched after) and the payload of <paramref name="message"/>.</summary>
    private static void Write(MutationWriter writer, SyncMessage message)
    {
        writer.WriteUInt16(SyncProtocol.Magic);
        writer.WriteByte((byte)SyncProtocol.Version);
        writer.WriteByte((byte)message.Type);
        writer.WriteUInt32(0); // payload length, patched below
        switch (message)
        {
            case HelloMessage hello:
                writer.WriteUInt16(hello.MinVersion);
                writer.WriteUInt16(hello.MaxVersion);
                writer.WriteInt32(hello.MaxFrameBytes);
                writer.WriteString(hello.ClientName);
                break;
            case WelcomeMessage welcome:
                writer.WriteUInt16(welcome.Version);
                writer.WriteInt32(welcome.MaxFrameBytes);
                break;
            case OpenDocumentMessage open:
                writer.WriteString(open.DocumentId);
                writer.WriteGuid(open.Timeline.Value);
                WriteRange(writer, open.StorageRange);
                writer.WriteBytes(open.Secret.IsValid ? open.Secret.Bytes : throw new ArgumentException("An open-document message needs its timeline's secret.", nameof(message)));
                if (open.AppSchemaVersion > 0)
                {
                    writer.WriteVarUInt64((ulong)open.AppSchemaVersion); // optional trailing field (docs/protocol.md)
                }

                break;
            case DocumentOpenedMessage opened:
                writer.WriteString(opened.DocumentId);
                writer.WriteByte((byte)opened.Access);
                WriteRange(writer, opened.TimelineRange);
                break;
            case TimelineEntriesMessage timeline:
                writer.WriteString(timeline.DocumentId);
                WriteEntries(writer, timeline.Entries);
                break;
            case TimelineAckMessage timelineAck:
                writer.WriteString(timelineAck.DocumentId);
                WriteRange(writer, timelineAck.TimelineRange);
                break;
            case StorageEntriesMessage storage:
                writer.WriteString(storage.DocumentId);
                WriteEntries(writer, storage.Entries);
                break;
            case StorageAckMessage storageAck:
                writer.WriteString(storageAck.DocumentId);
                WriteRange(writer, storageAck.StorageRange);
                break;
            case EntryPartMessage part:
                writer.WriteString(part.DocumentId);
                writer.WriteVarUInt64(part.Lsn.Value);
                writer.WriteVarUInt64((ulong)part.EntryLength);
                writer.WriteVarUInt64((ulong)part.Offset);
                EntryCompression.Write(writer, part.Bytes.Span);
                break;
            case PresenceUpdateMessage presence:
                writer.WriteString(presence.DocumentId);
                writer.WriteBytes(presence.State.Span);
                break;
            case PresenceChangedMessage changed:
                writer.WriteString(changed.DocumentId);
                writer.WriteString(changed.PeerId);
                writer.WriteByte(changed.Present ? (byte)1 : (byte)0);
                writer.WriteBytes(changed.State.Span);
                break;
            case CheckpointChunkMessage chunk:
                writer.WriteString(chunk.DocumentId);
                writer.WriteVarUInt64(chunk.Lsn.Value);
                writer.WriteVarUInt64((ulong)chunk.TotalBytes);
                writer.WriteVarUInt64(chunk.Pages);
                writer.WriteVarUInt64((ulong)chunk.Offset);
                writer.WriteBytes(chunk.Bytes.Span);
                break;
            case CheckpointAckMessage checkpointAck:
                writer.WriteString(checkpointAck.DocumentId);
                writer.WriteVarUInt64(checkpointAck.Lsn.Value);
                writer.WriteVarUInt64((ulong)checkpointAck.Received);
                break;
            case ErrorMessage error:
                writer.WriteUInt16((ushort)error.Code);
                writer.WriteString(error.DocumentId);
                writer.WriteString(error.Message);
                break;
            default:
                throw new ArgumentException($"Unknown message type {message.GetType()}.", nameof(message));
        }
    }

    /// <summary>
    /// The most an entry part's frame adds to its bytes: the header (8), the document id (a varint and up to 128 characters
    /// of 3 UTF-8 bytes), the LSN, entry length and offset varints (20), the encoding and its lengths (11): 425, rounded up.
    /// A sender cuts parts this much under its entry budget, so that a default part's frame is exactly a pool size (decision 0043).
    /// </summary>
    public const int MaxPartOverhead = 512;

    /// <summary>Frames estimated larger are written into an uninitialized buffer and sent from it without a copy.</summary>
    private const int SmallFrameBytes = 64 << 10;

    /// <summary>
    /// At least the encoded size, so that a large message is written without growing the buffer again and again:
    /// an entry takes at most its raw length + 6 bytes (encoding, length varint; a kept LZ4 block saves more).
    /// </summary>
    private static int EstimateSize(SyncMessage message)
    {
        JournalPartial? entries = message switch
        {
            StorageEntriesMessage storage => storage.Entries,
            TimelineEntriesMessage timeline => timeline.Entries,
            _ => null,
        };
        if (entries is null)
        {
            return message switch
            {
                EntryPartMessage part => MaxPartOverhead + part.Bytes.Length,
                CheckpointChunkMessage chunk => 256 + chunk.Bytes.Length,
                _ => 256,
            };
        }

        long size = 256 + entries.ByteCount + 6L * entries.Entries.Count;
        return (int)Math.Min(size, Array.MaxLength);
    }

    /// <summary>Decodes one frame, refusing anything malformed or larger than <paramref name="maxFrameBytes"/>.</summary>
    public static SyncMessage Decode(ReadOnlySpan<byte> frame, int maxFrameBytes = SyncProtocol.DefaultMaxFrameBytes) =>
        Decode(frame, maxFrameBytes, ReadOnlyMemory<byte>.Empty);

    /// <summary>
    /// <see cref="Decode(ReadOnlySpan{byte}, int)"/> of a frame in a buffer of its own that nothing writes to again: entries
    /// and checkpoint slices sent raw are slices of it, not copies (decision 0039).
    /// </summary>
    public static SyncMessage DecodeKeepingFrame(ReadOnlyMemory<byte> frame, int maxFrameBytes) => Decode(frame.Span, maxFrameBytes, frame);

    /// <summary>Decodes <paramref name="frame"/>; with <paramref name="kept"/> (the same bytes) raw byte fields are slices of it.</summary>
    private static SyncMessage Decode(ReadOnlySpan<byte> frame, int maxFrameBytes, ReadOnlyMemory<byte> kept)
    {
        if (frame.Length > maxFrameBytes)
        {
            throw ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"a frame of {frame.Length} bytes exceeds the limit of {maxFrameBytes}");
        }

        if (frame.Length < SyncProtocol.HeaderSize)
        {
            throw Malformed($"{frame.Length} bytes cannot hold the {SyncProtocol.HeaderSize}-byte header");
        }

        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(frame);
        if (magic != SyncProtocol.Magic)
        {
            throw Malformed($"bad magic 0x{magic:X4}");
        }

        if (frame[2] != SyncProtocol.Version)
        {
            throw ProtocolException.Create(ProtocolErrorCode.UnsupportedVersion, $"frame version {frame[2]}; this build speaks version {SyncProtocol.Version}");
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]);
        if (SyncProtocol.HeaderSize + (long)length > maxFrameBytes)
        {
            // As a receiver decides from the header alone, before it reads (or buffers) the rest of the message.
            throw ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"a message of {SyncProtocol.HeaderSize + (long)length} bytes exceeds the frame limit of {maxFrameBytes} bytes");
        }

        if (length != (uint)(frame.Length - SyncProtocol.HeaderSize))
        {
            throw Malformed($"the header announces {length} payload bytes but the frame has {frame.Length - SyncProtocol.HeaderSize}");
        }

        var type = (SyncMessageType)frame[3];
        var reader = new MutationReader(frame[SyncProtocol.HeaderSize..]);
        ReadOnlyMemory<byte> payload = kept.IsEmpty ? kept : kept[SyncProtocol.HeaderSize..];
        try
        {
            SyncMessage message = type switch
            {
                SyncMessageType.Hello => new HelloMessage(reader.ReadUInt16(), reader.ReadUInt16(), reader.ReadInt32(), ReadText(ref reader, 256)),
                SyncMessageType.Welcome => new WelcomeMessage(reader.ReadUInt16(), reader.ReadInt32()),
                SyncMessageType.OpenDocument => new OpenDocumentMessage(ReadDocumentId(ref reader), new TimelineId(reader.ReadGuid()), ReadRange(ref reader), ReadSecret(ref reader), ReadSchemaVersion(ref reader)),
                SyncMessageType.DocumentOpened => new DocumentOpenedMessage(ReadDocumentId(ref reader), ReadAccess(ref reader), ReadRange(ref reader)),
                SyncMessageType.TimelineEntries => new TimelineEntriesMessage(ReadDocumentId(ref reader), ReadEntries(ref reader, maxFrameBytes, payload)),
                SyncMessageType.TimelineAck => new TimelineAckMessage(ReadDocumentId(ref reader), ReadRange(ref reader)),
                SyncMessageType.StorageEntries => new StorageEntriesMessage(ReadDocumentId(ref reader), ReadEntries(ref reader, maxFrameBytes, payload)),
                SyncMessageType.StorageAck => new StorageAckMessage(ReadDocumentId(ref reader), ReadRange(ref reader)),
                SyncMessageType.TimelineEntryPart => ReadPart(ref reader, maxFrameBytes, payload, static (d, l, n, o, b) => new TimelineEntryPartMessage(d, l, n, o, b)),
                SyncMessageType.StorageEntryPart => ReadPart(ref reader, maxFrameBytes, payload, static (d, l, n, o, b) => new StorageEntryPartMessage(d, l, n, o, b)),
                SyncMessageType.PresenceUpdate => new PresenceUpdateMessage(ReadDocumentId(ref reader), reader.ReadBytes()),
                SyncMessageType.PresenceChanged => new PresenceChangedMessage(ReadDocumentId(ref reader), ReadText(ref reader, 64), ReadPresent(ref reader), reader.ReadBytes()),
                SyncMessageType.CheckpointChunk => ReadCheckpointChunk(ref reader, payload),
                SyncMessageType.CheckpointAck => new CheckpointAckMessage(ReadDocumentId(ref reader), new Lsn((ulong)ReadLong(ref reader, "LSN")), ReadReceived(ref reader)),
                SyncMessageType.Error => new ErrorMessage((ProtocolErrorCode)reader.ReadUInt16(), ReadText(ref reader, MaxDocumentIdLength), ReadText(ref reader, 4096)),
                _ => throw ProtocolException.Create(ProtocolErrorCode.UnknownMessageType, $"unknown message type {(byte)type}"),
            };
            reader.EnsureAtEnd();
            return message;
        }
        catch (SqlSyncException ex) when (ex.Code is SqlSyncErrorCode.MalformedMutation or SqlSyncErrorCode.InvalidArgument)
        {
            throw Malformed($"{type} frame: {ex.Message}");
        }
    }

    /// <summary>A checkpoint slice: its offset and length must lie within the file, and the file hold its pages.</summary>
    private static CheckpointChunkMessage ReadCheckpointChunk(ref MutationReader reader, ReadOnlyMemory<byte> payload)
    {
        string documentId = ReadDocumentId(ref reader);
        var lsn = new Lsn((ulong)ReadLong(ref reader, "LSN"));
        long total = ReadLong(ref reader, "checkpoint length");
        ulong pages = reader.ReadVarUInt64();
        long offset = ReadLong(ref reader, "offset");
        ReadOnlyMemory<byte> bytes = EntryCompression.Kept(reader.ReadBytesSpan(), ref reader, payload);
        if (pages > uint.MaxValue || total != 4096L * ((long)pages + 1) + 8L * (long)pages + 8)
        {
            throw Malformed($"a checkpoint of {pages} pages is not {total} bytes long");
        }

        if (offset > total || bytes.Length > total - offset)
        {
            throw Malformed($"a checkpoint slice of {bytes.Length} bytes at {offset} runs past its {total} bytes");
        }

        return new CheckpointChunkMessage(documentId, lsn, total, (uint)pages, offset, bytes);
    }

    /// <summary>
    /// A checkpoint ack's bytes held, <see cref="CheckpointAckMessage.Corrupt"/> or <see cref="CheckpointAckMessage.Declined"/>
    /// (written as the varints of ulong.MaxValue and ulong.MaxValue - 1).
    /// </summary>
    private static long ReadReceived(ref MutationReader reader)
    {
        ulong value = reader.ReadVarUInt64();
        return value == unchecked((ulong)CheckpointAckMessage.Corrupt) ? CheckpointAckMessage.Corrupt
            : value == unchecked((ulong)CheckpointAckMessage.Declined) ? CheckpointAckMessage.Declined
            : value <= long.MaxValue ? (long)value : throw Malformed($"the received bytes {value} overflow");
    }

    private static long ReadLong(ref MutationReader reader, string what)
    {
        ulong value = reader.ReadVarUInt64();
        return value <= long.MaxValue ? (long)value : throw Malformed($"the {what} {value} overflows");
    }

    private static void WriteRange(MutationWriter writer, LsnRange range)
    {
        writer.WriteVarUInt64(range.First.Value);
        writer.WriteVarUInt64(range.Count);
    }

    private static void WriteEntries(MutationWriter writer, JournalPartial partial)
    {
        WriteRange(writer, partial.Range);
        foreach (ReadOnlyMemory<byte> entry in partial.Entries)
        {
            EntryCompression.Write(writer, entry.Span);
        }
    }

    private static LsnRange ReadRange(ref MutationReader reader)
    {
        ulong first = reader.ReadVarUInt64();
        ulong count = reader.ReadVarUInt64();
        if (first > long.MaxValue || count > long.MaxValue - first)
        {
            throw Malformed($"LSN range [{first} + {count}] overflows");
        }

        return count == 0 ? LsnRange.EmptyAt(new Lsn(first)) : LsnRange.Inclusive(new Lsn(first), new Lsn(first + count - 1));
    }

    /// <summary>Reads an <c>entries</c> field; decompressed, its entries take at most <paramref name="maxFrameBytes"/> together.</summary>
    private static JournalPartial ReadEntries(ref MutationReader reader, int maxFrameBytes, ReadOnlyMemory<byte> payload)
    {
        LsnRange range = ReadRange(ref reader);
        if (range.Count > (ulong)reader.Remaining / 2)
        {
            throw Malformed($"{range.Count} entries cannot fit in {reader.Remaining} bytes (each takes at least 2)");
        }

        var entries = new ReadOnlyMemory<byte>[(int)range.Count];
        long rawBudget = maxFrameBytes;
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = EntryCompression.Read(ref reader, ref rawBudget, payload);
        }

        return new JournalPartial(range, entries);
    }

    /// <summary>
    /// Reads an entry part: document id, LSN, entry length, offset, then its bytes encoded as one entry. The bytes
    /// must be non-empty and end within the entry; whether the part fits the entry being reassembled, and the
    /// entry the receiver's limit, is the receiver's <see cref="EntryAssembler"/> to check.
    /// </summary>
    private static EntryPartMessage ReadPart(ref MutationReader reader, int maxFrameBytes, ReadOnlyMemory<byte> payload, Func<string, Lsn, int, int, ReadOnlyMemory<byte>, EntryPartMessage> create)
    {
        string documentId = ReadDocumentId(ref reader);
        ulong lsn = reader.ReadVarUInt64();
        ulong entryLength = reader.ReadVarUInt64();
        ulong offset = reader.ReadVarUInt64();
        if (lsn > long.MaxValue)
        {
            throw Malformed($"entry part LSN {lsn} is beyond the largest LSN");
        }

        if (entryLength == 0 || entryLength > int.MaxValue)
        {
            throw entryLength == 0
                ? Malformed("an entry part of an entry of length 0")
                : ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"an entry part of an entry of {entryLength} bytes");
        }

        if (offset >= entryLength)
        {
            throw Malformed($"an entry part at offset {offset} of an entry of {entryLength} bytes");
        }

        long rawBudget = maxFrameBytes;
        ReadOnlyMemory<byte> bytes = EntryCompression.Read(ref reader, ref rawBudget, payload);
        if (bytes.Length == 0 || offset + (ulong)bytes.Length > entryLength)
        {
            throw Malformed(bytes.Length == 0
                ? $"an empty entry part at offset {offset}"
                : $"an entry part of {bytes.Length} bytes at offset {offset} runs past the entry's {entryLength} bytes");
        }

        return create(documentId, new Lsn(lsn), (int)entryLength, (int)offset, bytes);
    }

    private static string ReadDocumentId(ref MutationReader reader) => ReadText(ref reader, MaxDocumentIdLength);

    private static string ReadText(ref MutationReader reader, int maxLength)
    {
        string text = reader.ReadString();
        if (text.Length > maxLength)
        {
            throw Malformed($"a text field of {text.Length} characters exceeds {maxLength}");
        }

        return text;
    }

    /// <summary>The open's optional trailing schema version: 0 when absent; more than int.MaxValue is malformed.</summary>
    private static int ReadSchemaVersion(ref MutationReader reader)
    {
        if (reader.Remaining == 0)
        {
            return 0;
        }

        ulong version = reader.ReadVarUInt64();
        return version is > 0 and <= int.MaxValue ? (int)version : throw Malformed($"schema version {version} is out of range");
    }

    private static TimelineSecret ReadSecret(ref MutationReader reader)
    {
        ReadOnlySpan<byte> bytes = reader.ReadBytesSpan();
        return bytes.Length == TimelineSecret.Length ? new TimelineSecret(bytes) : throw Malformed($"a timeline secret of {bytes.Length} bytes; it must have {TimelineSecret.Length}");
    }

    private static DocumentAccess ReadAccess(ref MutationReader reader)
    {
        byte access = reader.ReadByte();
        return access <= (byte)DocumentAccess.ReadWrite ? (DocumentAccess)access : throw Malformed($"access {access} is not defined");
    }

    private static bool ReadPresent(ref MutationReader reader) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        byte other => throw Malformed($"presence flag {other} (0 left, 1 present)"),
    };

    private static SqlSyncException Malformed(string why) => ProtocolException.Create(ProtocolErrorCode.MalformedFrame, why);
}
