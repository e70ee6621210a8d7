using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;
using Xunit;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>
/// Decision 0043: an entry's part travels in pooled frames on both ends. The sender encodes it into a rented buffer; the
/// client receives it into one, its bytes a slice of that frame until released, after which any use of them throws.
/// Other messages keep their own arrays.
/// </summary>
public sealed class PooledPartFramesTests
{
    [Fact]
    [Trait("Category", "Replication")]
    public async Task APartArrivesInAPooledFrameThatItsReleaseGivesBack()
    {
        using SocketPair pair = await SocketPair.ConnectAsync();
        (WebSocket server, WebSocket client) = (pair.Server, pair.Client);
        byte[] entry = TestBytes.Noise(1, 3_000_000);
        var part = new StorageEntryPartMessage("doc", new Lsn(9), entry.Length, 1_000_000, entry.AsMemory(1_000_000, 1_200_000));
        int sent = await WebSocketFrames.SendAsync(server, part, CancellationToken.None);
        (SyncMessage? message, int bytes) = await WebSocketFrames.ReceiveAsync(client, SyncProtocol.DefaultMaxFrameBytes, CancellationToken.None);

        Assert.Equal(sent, bytes);
        var received = Assert.IsType<StorageEntryPartMessage>(message);
        Assert.Equal((part.DocumentId, part.Lsn, part.EntryLength, part.Offset), (received.DocumentId, received.Lsn, received.EntryLength, received.Offset));
        Assert.True(received.Bytes.Span.SequenceEqual(entry.AsSpan(1_000_000, 1_200_000)));
        Assert.True(MemoryMarshal.TryGetMemoryManager(received.Bytes, out PooledFrame? _), "the part's bytes are not a slice of a pooled frame");

        PooledFrame.Release(received.Bytes);
        Assert.Throws<ObjectDisposedException>(() => received.Bytes.Span.ToArray());
        PooledFrame.Release(received.Bytes); // a second release gives nothing back twice

        // A sender's later frames are whole, whether or not its earlier buffer went back to the pool.
        var next = new StorageEntryPartMessage("doc", new Lsn(9), entry.Length, 2_200_000, entry.AsMemory(2_200_000));
        await WebSocketFrames.SendAsync(server, next, CancellationToken.None);
        (SyncMessage? second, _) = await WebSocketFrames.ReceiveAsync(client, SyncProtocol.DefaultMaxFrameBytes, CancellationToken.None);
        Assert.True(((StorageEntryPartMessage)second!).Bytes.Span.SequenceEqual(entry.AsSpan(2_200_000)));
        PooledFrame.Release(((StorageEntryPartMessage)second).Bytes);
    }

    [Fact]
    [Trait("Category", "Replication")]
    public async Task EntriesKeepTheirOwnFrameAndAReleaseOfThemDoesNothing()
    {
        using SocketPair pair = await SocketPair.ConnectAsync();
        (WebSocket server, WebSocket client) = (pair.Server, pair.Client);
        byte[] entry = TestBytes.Noise(2, 900_000);
        var entries = new StorageEntriesMessage("doc", new JournalPartial(LsnRange.Inclusive(new Lsn(3), new Lsn(3)), new ReadOnlyMemory<byte>[] { entry }));
        await WebSocketFrames.SendAsync(server, entries, CancellationToken.None);
        (SyncMessage? message, _) = await WebSocketFrames.ReceiveAsync(client, SyncProtocol.DefaultMaxFrameBytes, CancellationToken.None);

        ReadOnlyMemory<byte> bytes = Assert.IsType<StorageEntriesMessage>(message).Entries.Entries[0];
        Assert.False(MemoryMarshal.TryGetMemoryManager(bytes, out PooledFrame? _));
        PooledFrame.Release(bytes);
        Assert.True(bytes.Span.SequenceEqual(entry));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public async Task AMalformedPartInAPooledFrameIsAProtocolError()
    {
        using SocketPair pair = await SocketPair.ConnectAsync();
        (WebSocket server, WebSocket client) = (pair.Server, pair.Client);
        byte[] frame = SyncMessageCodec.Encode(new StorageEntryPartMessage("doc", new Lsn(1), 500_000, 0, TestBytes.Noise(3, 200_000)));
        int encodingAt = SyncProtocol.HeaderSize + 1 + 3 + 1 + 3 + 1; // header, "doc", LSN 1, entry length 500,000, offset 0
        Assert.Equal(EntryCompression.Raw, frame[encodingAt]);
        frame[encodingAt] = 7; // not an encoding
        await server.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        SqlSyncException error = await Assert.ThrowsAsync<SqlSyncException>(() => WebSocketFrames.ReceiveAsync(client, SyncProtocol.DefaultMaxFrameBytes, CancellationToken.None));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, ProtocolException.CodeOf(error));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void ADefaultPartsFrameIsAtMostTheBudgetWhateverItsDocumentId()
    {
        long budget = new ReplicationOptions().EntryBudget(SyncProtocol.DefaultMaxFrameBytes);
        Assert.Equal(FramePool.MaxPooledLength, budget);
        string longest = new('\u4E2D', SyncMessageCodec.MaxDocumentIdLength); // 3 UTF-8 bytes each
        byte[] entry = TestBytes.Noise(5, 3_500_000);
        var messages = new List<SyncMessage>();
        EntryParts.Add(messages, new JournalPartial(LsnRange.Inclusive(new Lsn(ulong.MaxValue >> 1), new Lsn(ulong.MaxValue >> 1)), new ReadOnlyMemory<byte>[] { entry }),
            budget, (lsn, length, offset, bytes) => new StorageEntryPartMessage(longest, lsn, length, offset, bytes));

        Assert.Equal(4, messages.Count);
        foreach (SyncMessage part in messages)
        {
            int frame = SyncMessageCodec.Encode(part).Length;
            Assert.True(frame <= budget, $"a frame of {frame} bytes is over the budget of {budget}: it would take an array twice its size");
            Assert.True(SyncMessageCodec.MinBufferFor(part) >= frame, $"{SyncMessageCodec.MinBufferFor(part)} bytes cannot hold a frame of {frame}");
        }
    }

    [Fact]
    [Trait("Category", "Replication")]
    public async Task APartLongerThanItsHeaderSaysIsRefusedBeforeItsSlackIsRead()
    {
        using SocketPair pair = await SocketPair.ConnectAsync();
        byte[] frame = SyncMessageCodec.Encode(new StorageEntryPartMessage("doc", new Lsn(1), 900_000, 0, TestBytes.Noise(6, 600_000)));
        byte[] longer = [.. frame, .. new byte[100_000]]; // a pooled array of 1 MiB would have room for it
        await pair.Server.SendAsync(longer, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        SqlSyncException error = await Assert.ThrowsAsync<SqlSyncException>(() => WebSocketFrames.ReceiveAsync(pair.Client, SyncProtocol.DefaultMaxFrameBytes, CancellationToken.None));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, ProtocolException.CodeOf(error));
        Assert.Contains("more follow", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Two ends of a WebSocket over a loopback TCP connection, without HTTP: the frames are all that is tested.</summary>
    private sealed class SocketPair : IDisposable
    {
        private readonly TcpClient _accepted, _connecting;

        private SocketPair(TcpClient accepted, TcpClient connecting)
        {
            (_accepted, _connecting) = (accepted, connecting);
            Server = WebSocket.CreateFromStream(accepted.GetStream(), new WebSocketCreationOptions { IsServer = true });
            Client = WebSocket.CreateFromStream(connecting.GetStream(), new WebSocketCreationOptions { IsServer = false });
        }

        public WebSocket Server { get; }

        public WebSocket Client { get; }

        public static async Task<SocketPair> ConnectAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
#pragma warning disable CA2000 // the pair owns it (or the catch disposes it)
            var connecting = new TcpClient();
#pragma warning restore CA2000
            try
            {
                Task connect = connecting.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
                TcpClient accepted = await listener.AcceptTcpClientAsync();
                await connect;
                return new SocketPair(accepted, connecting);
            }
            catch
            {
                connecting.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
            _accepted.Dispose();
            _connecting.Dispose();
        }
    }
}
