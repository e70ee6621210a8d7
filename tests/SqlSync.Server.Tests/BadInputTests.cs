using System.Buffers.Binary;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// The bad-input list over a live server: each bad frame closes its own link with an error frame
/// carrying the right code and a log line, reaches no journal, and another client keeps being served.
/// </summary>
public sealed class BadInputTests : ServerTestBase
{
    private const int ServerMaxFrameBytes = SyncProtocol.MinMaxFrameBytes;

    /// <summary>Where a bad frame is sent: as the first frame, or after hello and an open of "counters".</summary>
    private enum Stage
    {
        First,
        AfterOpen,
    }

    private sealed record BadInput(string Name, Stage Stage, ProtocolErrorCode Expected, Func<LsnRange, byte[]> Frame, bool Text = false);

    [Fact]
    [Trait("Category", "Integration")]
    public async Task EachBadFrameClosesOnlyItsLinkWithAProtocolErrorAndReachesNoJournal()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
            options.Replication = new ReplicationOptions { MaxFrameBytes = ServerMaxFrameBytes, MaxEntryBytesPerMessage = 16 * 1024 });
        using var good = Client("good");
        good.CreateSchema();
        good.Add("good", 1);
        long goodTotal = 1;
        CoordinatorDocument coordinator = server.Document("counters");
        await using SqlSyncClient goodSync = Connect(server.SyncUri, good, replication: new ReplicationOptions { MaxFrameBytes = ServerMaxFrameBytes });
        await ConvergedAsync(good, coordinator, "the good client");

        var random = new Random(99);
        byte[] Valid(SyncMessage message) => SyncMessageCodec.Encode(message);
        byte[] Entries(LsnRange storage) => Valid(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 2)));
        var cases = new List<BadInput>
        {
            new("garbage bytes first", Stage.First, ProtocolErrorCode.MalformedFrame, _ => Garbage(random, 300)),
            new("garbage bytes after open", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, _ => Garbage(random, 5000)),
            new("a frame shorter than a header", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, _ => new byte[] { 0x53, 0x59, 1 }),
            new("a truncated frame", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, s => Entries(s)[..^5]),
            new("a wrong payload length", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, s => WithLength(Entries(s), +1)),
            new("trailing bytes", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, s => Extended(Entries(s), 3)),
            new("an entry count beyond the bytes", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, _ => Frame(SyncMessageType.TimelineEntries, [8, .. "counters"u8, 0, 0xE8, 0x07, 0, 0])),
            new("invalid UTF-8 in a document id", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, _ => Frame(SyncMessageType.StorageAck, [2, 0xC3, 0x28, 0, 0])),
            new("a text message", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, _ => "hello"u8.ToArray(), Text: true),
            new("an unknown message type", Stage.AfterOpen, ProtocolErrorCode.UnknownMessageType, s => WithType(Entries(s), 0xEE)),
            new("an unknown message type first", Stage.First, ProtocolErrorCode.UnknownMessageType, _ => WithType(Valid(RawSyncSocket.Hello()), 0)),
            new("another frame version", Stage.AfterOpen, ProtocolErrorCode.UnsupportedVersion, s => WithVersion(Entries(s), 7)),
            new("a frame of protocol version 1", Stage.AfterOpen, ProtocolErrorCode.UnsupportedVersion, s => WithVersion(Entries(s), 1)),
            new("a version 1 hello", Stage.First, ProtocolErrorCode.UnsupportedVersion, _ => WithVersion(Valid(new HelloMessage(1, 1, SyncProtocol.DefaultMaxFrameBytes, "old")), 1)),
            new("a version 2 hello (before entry parts)", Stage.First, ProtocolErrorCode.UnsupportedVersion, _ => WithVersion(Valid(new HelloMessage(2, 2, SyncProtocol.DefaultMaxFrameBytes, "v2")), 2)),
            new("a frame of protocol version 2", Stage.AfterOpen, ProtocolErrorCode.UnsupportedVersion, s => WithVersion(Entries(s), 2)),
            new("a hello without a common version", Stage.First, ProtocolErrorCode.UnsupportedVersion, _ => Valid(new HelloMessage(SyncProtocol.Version + 1, SyncProtocol.Version + 4, SyncProtocol.DefaultMaxFrameBytes, "future"))),
            new("an oversized frame", Stage.AfterOpen, ProtocolErrorCode.FrameTooLarge, _ => Valid(new TimelineEntriesMessage("counters",
                new JournalPartial(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), new ReadOnlyMemory<byte>[] { Garbage(random, ServerMaxFrameBytes * 2) })))),
            new("a small frame whose entries decompress beyond the limit", Stage.AfterOpen, ProtocolErrorCode.FrameTooLarge, _ => Valid(new TimelineEntriesMessage("counters",
                new JournalPartial(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), new ReadOnlyMemory<byte>[] { new byte[ServerMaxFrameBytes * 2] })))),
            new("an unknown entry encoding", Stage.AfterOpen, ProtocolErrorCode.MalformedFrame, _ => Frame(SyncMessageType.TimelineEntries, [8, .. "counters"u8, 0, 1, 7, 0])),
            new("timeline entries after a gap", Stage.AfterOpen, ProtocolErrorCode.LsnOutOfRange, _ => Valid(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(new Lsn(1000), 1)))),
            new("timeline entries near the largest LSN", Stage.AfterOpen, ProtocolErrorCode.LsnOutOfRange, _ => Valid(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(new Lsn(long.MaxValue - 1), 1)))),
            new("a storage ack beyond the server", Stage.AfterOpen, ProtocolErrorCode.LsnOutOfRange, s => Valid(new StorageAckMessage("counters", LsnRange.Inclusive(Lsn.Zero, new Lsn(s.Next.Value + 10))))),
            new("an open beyond the server's storage", Stage.AfterOpen, ProtocolErrorCode.LsnOutOfRange, s => Valid(new OpenDocumentMessage("counters", TimelineId.New(), LsnRange.Inclusive(Lsn.Zero, new Lsn(s.Next.Value + 5)), TimelineSecrets.For(TimelineId.New())))),
            new("entries for a document not opened", Stage.AfterOpen, ProtocolErrorCode.UnknownDocument, _ => Valid(new TimelineEntriesMessage("elsewhere", RawSyncSocket.AddEntries(Lsn.Zero, 1)))),
            new("a storage ack for a document not opened", Stage.AfterOpen, ProtocolErrorCode.UnknownDocument, _ => Valid(new StorageAckMessage("elsewhere", LsnRange.Empty))),
            new("an invalid document id", Stage.AfterOpen, ProtocolErrorCode.UnknownDocument, _ => Valid(new OpenDocumentMessage("bad id!", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())))),
            new("a frame before hello", Stage.First, ProtocolErrorCode.UnexpectedMessage, _ => Valid(new OpenDocumentMessage("counters", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())))),
            new("a second hello", Stage.AfterOpen, ProtocolErrorCode.UnexpectedMessage, _ => Valid(RawSyncSocket.Hello())),
            new("a server-only message", Stage.AfterOpen, ProtocolErrorCode.UnexpectedMessage, _ => Valid(new WelcomeMessage(SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes))),
            new("a hello with a tiny frame limit", Stage.First, ProtocolErrorCode.MalformedFrame, _ => Valid(new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, 100, "tiny"))),
        };

        int warningsBefore = ProtocolWarnings(server).Count;
        foreach (BadInput bad in cases)
        {
            await ConvergedAsync(good, coordinator, "the good client");
            Dictionary<string, long> filesBefore = Files(ServerDirectory);
            LsnRange storageBefore = coordinator.StorageRange;
            ulong checksumBefore = coordinator.StorageChecksum;
            var timeline = TimelineId.New();

#pragma warning disable CA2000 // false positive: the await using disposes it on every path
            await using (RawSyncSocket raw = await RawSyncSocket.ConnectAsync(server.SyncUri))
#pragma warning restore CA2000
            {
                if (bad.Stage == Stage.AfterOpen)
                {
                    await raw.SendAsync(RawSyncSocket.Hello());
                    await raw.ExpectAsync<WelcomeMessage>();
                    await raw.SendAsync(new OpenDocumentMessage("counters", timeline, storageBefore, TimelineSecrets.For(timeline)));
                    await raw.ExpectAsync<DocumentOpenedMessage>();
                }

                await raw.SendRawAsync(bad.Frame(storageBefore), bad.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary);
                ErrorMessage error = await raw.ExpectErrorAsync();
                Assert.True(bad.Expected == error.Code, $"{bad.Name}: expected {bad.Expected}, the server answered {error.Code}: {error.Message}");
            }

            await Eventually.TrueAsync(() => ProtocolWarnings(server).Count == warningsBefore + 1, $"the server logged the protocol error for {bad.Name}");
            warningsBefore++;
            Assert.Contains(bad.Expected.ToString(), ProtocolWarnings(server)[^1].Message);

            Assert.True(coordinator.GetTimelineRange(timeline).IsEmpty, $"{bad.Name}: nothing reached the link's timeline");
            Assert.Equal(storageBefore, coordinator.StorageRange);
            Assert.Equal(checksumBefore, coordinator.StorageChecksum);
            Assert.Equal(filesBefore, Files(ServerDirectory));

            good.Add("good", 1); // the other link is still served
            goodTotal++;
        }

        await ConvergedAsync(good, coordinator, "the good client");
        Assert.Equal(goodTotal, Value(coordinator, "good"));
        Assert.Equal(coordinator.StorageChecksum, good.StorageChecksum);
        Assert.Equal(1, goodSync.ConnectionCount);
        Assert.Null(goodSync.LastError);
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task AnEntryWithAnImpossibleTimestampIsRejectedAndTheDocumentGoesOn()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using var good = Client("good");
        good.CreateSchema();
        CoordinatorDocument coordinator = server.Document("counters");
        await using SqlSyncClient goodSync = Connect(server.SyncUri, good);
        await ConvergedAsync(good, coordinator, "the good client");

        // A valid frame whose entry's envelope carries a timestamp beyond DateTimeOffset.MaxValue.
        var timeline = TimelineId.New();
        byte[] entry = RawSyncSocket.AddEntries(Lsn.Zero, 1, "late").Entries[0].ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(1), long.MaxValue);
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(new OpenDocumentMessage("counters", timeline, LsnRange.Empty, TimelineSecrets.For(timeline)));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntriesMessage("counters", new JournalPartial(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), new ReadOnlyMemory<byte>[] { entry })));
            await raw.ExpectAsync<TimelineAckMessage>();
        }

        await Eventually.TrueAsync(() => coordinator.GetAppliedLsns().ContainsKey(timeline), "the coordinator applied (rejected) the entry");
        Assert.Single(coordinator.Query("SELECT * FROM __sqlsync_rejections"));
        good.Add("good", 1);
        await ConvergedAsync(good, coordinator, "the good client");
        Assert.Equal(1L, Value(coordinator, "good"));
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);
    }

    private static List<LogLine> ProtocolWarnings(TestServer server) =>
        server.Logs.Lines.Where(l => l.Level == LogLevel.Warning && l.Message.Contains("closed for a protocol error")).ToList();

    internal static Dictionary<string, long> Files(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f), f => new FileInfo(f).Length);

    private static byte[] Garbage(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        bytes[0] = 0x00; // never the magic
        return bytes;
    }

    private static byte[] WithLength(byte[] frame, int delta)
    {
        byte[] copy = frame.ToArray();
        uint length = (uint)(copy.Length - SyncProtocol.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(4), (uint)(length + delta));
        return copy;
    }

    private static byte[] Extended(byte[] frame, int extra) => WithLength(frame.Concat(new byte[extra]).ToArray(), 0);

    private static byte[] WithType(byte[] frame, byte type)
    {
        byte[] copy = frame.ToArray();
        copy[3] = type;
        return copy;
    }

    private static byte[] WithVersion(byte[] frame, byte version)
    {
        byte[] copy = frame.ToArray();
        copy[2] = version;
        return copy;
    }

    /// <summary>A frame with a valid header around <paramref name="payload"/>.</summary>
    private static byte[] Frame(SyncMessageType type, byte[] payload)
    {
        byte[] frame = new byte[SyncProtocol.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(frame, SyncProtocol.Magic);
        frame[2] = (byte)SyncProtocol.Version;
        frame[3] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, SyncProtocol.HeaderSize);
        return frame;
    }
}
