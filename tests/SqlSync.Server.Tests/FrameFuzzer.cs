using System.Buffers.Binary;
using System.Text;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>Random valid messages of every type, and mutations of their frames, for the fuzz tests.</summary>
internal static class FrameFuzzer
{
    private static readonly string[] ValidIds = { "doc", "counters", "fuzz", "a", "Doc-1.x_y", new string('z', SyncMessageCodec.MaxDocumentIdLength) };

    /// <summary>The base count of fuzz cases: SQLSYNC_FUZZ_ITERATIONS, or 100 000.</summary>
    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("SQLSYNC_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 100_000;

    /// <summary>The first seed: SQLSYNC_FUZZ_SEED, or a fixed one (CI runs are reproducible).</summary>
    public static int BaseSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("SQLSYNC_FUZZ_SEED"), out int n) ? n : 20_240_601;

    public static SyncMessage RandomMessage(Random random) => (random.Next(11) + 1) switch
    {
        1 => new HelloMessage((ushort)random.Next(3), (ushort)random.Next(3), random.Next(), RandomText(random, 40)),
        2 => new WelcomeMessage((ushort)random.Next(3), random.Next()),
        3 => TimelineSecrets.Open(RandomId(random), new TimelineId(RandomGuid(random)), RandomRange(random)),
        4 => new DocumentOpenedMessage(RandomId(random), (DocumentAccess)random.Next(3), RandomRange(random)),
        5 => new TimelineEntriesMessage(RandomId(random), RandomEntries(random)),
        6 => new TimelineAckMessage(RandomId(random), RandomRange(random)),
        7 => new StorageEntriesMessage(RandomId(random), RandomEntries(random)),
        8 => new StorageAckMessage(RandomId(random), RandomRange(random)),
        9 => RandomPart(random, static (d, l, n, o, b) => new TimelineEntryPartMessage(d, l, n, o, b)),
        10 => RandomPart(random, static (d, l, n, o, b) => new StorageEntryPartMessage(d, l, n, o, b)),
        _ => new ErrorMessage((ProtocolErrorCode)random.Next(12), random.Next(2) == 0 ? "" : RandomId(random), RandomText(random, 200)),
    };

    /// <summary>A valid part: non-empty bytes (raw or compressible) that end within the entry length, often at it.</summary>
    public static EntryPartMessage RandomPart(Random random, Func<string, Lsn, int, int, ReadOnlyMemory<byte>, EntryPartMessage> create)
    {
        byte[] bytes = RandomEntry(random);
        if (bytes.Length == 0)
        {
            bytes = new byte[] { (byte)random.Next(256) };
        }

        int offset = random.Next(3) == 0 ? 0 : random.Next(1 << 20);
        int length = offset + bytes.Length + (random.Next(2) == 0 ? 0 : random.Next(1 << 20));
        return create(RandomId(random), new Lsn((ulong)random.Next(1000)), length, offset, bytes);
    }

    public static string RandomId(Random random) => ValidIds[random.Next(ValidIds.Length)];

    public static LsnRange RandomRange(Random random)
    {
        ulong first = random.Next(4) switch
        {
            0 => 0,
            1 => (ulong)random.Next(100),
            2 => (ulong)random.NextInt64(),
            _ => (ulong)long.MaxValue - (ulong)random.Next(10),
        };
        ulong count = random.Next(3) == 0 ? 0 : (ulong)random.Next(1, 50);
        count = Math.Min(count, (ulong)long.MaxValue - first);
        return count == 0 ? LsnRange.EmptyAt(new Lsn(first)) : LsnRange.Inclusive(new Lsn(first), new Lsn(first + count - 1));
    }

    public static JournalPartial RandomEntries(Random random)
    {
        int count = random.Next(6);
        var entries = new ReadOnlyMemory<byte>[count];
        for (int i = 0; i < count; i++)
        {
            entries[i] = RandomEntry(random);
        }

        ulong first = (ulong)random.Next(1000);
        return new JournalPartial(count == 0 ? LsnRange.EmptyAt(new Lsn(first)) : LsnRange.Inclusive(new Lsn(first), new Lsn(first + (ulong)count - 1)), entries);
    }

    /// <summary>
    /// Mostly short random bytes (raw on the wire); sometimes long random bytes (raw: LZ4 cannot shrink them);
    /// sometimes long runs of a few values with random stretches between, which the encoder sends as LZ4
    /// blocks, so that mutations reach the block decoder too.
    /// </summary>
    public static byte[] RandomEntry(Random random)
    {
        switch (random.Next(8))
        {
            case 0:
            case 1:
            {
                byte[] noise = new byte[random.Next(2000)];
                random.NextBytes(noise);
                return noise;
            }

            case 2:
            case 3:
            {
                byte[] runs = new byte[256 + random.Next(4000)];
                for (int at = 0; at < runs.Length;)
                {
                    Span<byte> run = runs.AsSpan(at, Math.Min(runs.Length - at, random.Next(1, 80)));
                    if (random.Next(4) == 0)
                    {
                        random.NextBytes(run);
                    }
                    else
                    {
                        run.Fill((byte)random.Next(4));
                    }

                    at += run.Length;
                }

                return runs;
            }

            default:
            {
                byte[] small = new byte[random.Next(40)];
                random.NextBytes(small);
                return small;
            }
        }
    }

    private static Guid RandomGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static string RandomText(Random random, int maxLength)
    {
        var text = new StringBuilder();
        int length = random.Next(maxLength);
        for (int i = 0; i < length; i++)
        {
            text.Append(random.Next(10) switch
            {
                0 => 'é',
                1 => '漢',
                2 => "😀",
                _ => (char)random.Next(32, 127),
            });
        }

        return text.ToString();
    }

    /// <summary>Random bytes; half the time behind a plausible header.</summary>
    public static byte[] Garbage(Random random)
    {
        byte[] bytes = new byte[random.Next(random.Next(10) == 0 ? 5000 : 64)];
        random.NextBytes(bytes);
        if (bytes.Length >= SyncProtocol.HeaderSize && random.Next(2) == 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, SyncProtocol.Magic);
            bytes[2] = (byte)SyncProtocol.Version;
            bytes[3] = (byte)random.Next(12);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - SyncProtocol.HeaderSize));
        }

        return bytes;
    }

    /// <summary>One to four mutations of a frame: bit flips, byte changes, truncation, extension, header fields.</summary>
    public static byte[] Mutate(byte[] frame, Random random)
    {
        var bytes = new List<byte>(frame);
        int mutations = random.Next(1, 5);
        for (int m = 0; m < mutations; m++)
        {
            int position = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(11))
            {
                case 0 when bytes.Count > 0:
                    bytes[position] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[position] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(position, bytes.Count - position); // truncate
                    break;
                case 3:
                    for (int i = random.Next(1, 20); i > 0; i--)
                    {
                        bytes.Add((byte)random.Next(256)); // extend
                    }

                    break;
                case 4:
                    bytes.InsertRange(position, Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256)));
                    break;
                case 5 when bytes.Count > 0:
                    bytes.RemoveRange(position, Math.Min(random.Next(1, 8), bytes.Count - position));
                    break;
                case 6 when bytes.Count >= SyncProtocol.HeaderSize:
                    bytes[3] = (byte)(random.Next(2) == 0 ? random.Next(1, 10) : random.Next(256)); // type
                    break;
                case 7 when bytes.Count >= SyncProtocol.HeaderSize:
                    WriteLength(bytes, random.Next(3) switch
                    {
                        0 => (uint)random.Next(),
                        1 => uint.MaxValue - (uint)random.Next(10),
                        _ => (uint)Math.Max(0, bytes.Count - SyncProtocol.HeaderSize + random.Next(-3, 4)),
                    });
                    break;
                case 8 when bytes.Count > 0:
                    for (int i = position; i < Math.Min(bytes.Count, position + random.Next(1, 11)); i++)
                    {
                        bytes[i] = 0xFF; // runaway varints, huge lengths
                    }

                    break;
                case 9 when bytes.Count >= SyncProtocol.HeaderSize:
                    bytes[2] = (byte)random.Next(4); // version
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes[position] = (byte)(bytes[position] + random.Next(-2, 3)); // nearby values: counts, lengths, access
                    }

                    break;
            }
        }

        if (bytes.Count >= SyncProtocol.HeaderSize && random.Next(3) != 0)
        {
            WriteLength(bytes, (uint)(bytes.Count - SyncProtocol.HeaderSize)); // mostly keep the header honest, to reach the payload
        }

        return bytes.ToArray();
    }

    private static void WriteLength(List<byte> bytes, uint length)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(field, length);
        for (int i = 0; i < 4; i++)
        {
            bytes[4 + i] = field[i];
        }
    }

    /// <summary>Decodes, returning the message or the protocol error code; any other exception escapes.</summary>
    public static (SyncMessage? Message, ProtocolErrorCode? Error) TryDecode(byte[] frame, int maxFrameBytes)
    {
        try
        {
            return (SyncMessageCodec.Decode(frame, maxFrameBytes), null);
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.Protocol)
        {
            return (null, ProtocolCode(ex));
        }
    }

    public static ProtocolErrorCode ProtocolCode(SqlSyncException exception) =>
        exception.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code
            ? code
            : throw new InvalidOperationException($"A protocol exception without a ProtocolErrorCode: {exception.Message}", exception);
}
