using System.Buffers.Binary;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>
/// A WebSocket that misbehaves on purpose, for the connection-limit tests: it sends unfinished messages, says nothing,
/// or never reads. Every wait has a deadline.
/// </summary>
internal sealed class HostileSocket : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private HostileSocket(ClientWebSocket socket)
    {
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>
    /// Connects; <paramref name="receiveBufferBytes"/> fixes the TCP receive buffer (no autotuning), so that a client that
    /// does not read stops the server's sends after little data rather than after the tens of MiB loopback can buffer.
    /// </summary>
    public static async Task<HostileSocket> ConnectAsync(Uri uri, int? receiveBufferBytes = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // this client sends nothing it is not told to
        using var timeout = new CancellationTokenSource(Timeout);
        if (receiveBufferBytes is int size)
        {
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = size, NoDelay = true };
                    try
                    {
                        await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                        return new NetworkStream(tcp, ownsSocket: true);
                    }
                    catch
                    {
                        tcp.Dispose();
                        throw;
                    }
                },
            };
            using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
            await socket.ConnectAsync(uri, invoker, timeout.Token);
        }
        else
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }

        return new HostileSocket(socket);
    }

    /// <summary>The first bytes of a frame: a valid header of <paramref name="type"/> that announces <paramref name="payloadBytes"/>.</summary>
    public static byte[] Header(SyncMessageType type, uint payloadBytes)
    {
        byte[] header = new byte[SyncProtocol.HeaderSize];
        BinaryPrimitives.WriteUInt16LittleEndian(header, SyncProtocol.Magic);
        header[2] = (byte)SyncProtocol.Version;
        header[3] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), payloadBytes);
        return header;
    }

    public async Task SendAsync(SyncMessage message) => await SendAsync(SyncMessageCodec.Encode(message), endOfMessage: true);

    /// <summary>Sends bytes as part of a message (<paramref name="endOfMessage"/> false leaves it unfinished); false when the server has closed.</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> bytes, bool endOfMessage)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await Socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage, timeout.Token);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends an unfinished message: a header announcing <paramref name="announcedBytes"/> of payload, then
    /// <paramref name="sendBytes"/> of it in chunks; stops early when the server closes. Returns the bytes sent.
    /// </summary>
    public async Task<long> SendUnfinishedAsync(SyncMessageType type, uint announcedBytes, long sendBytes, ReadOnlyMemory<byte> chunk)
    {
        if (!await SendAsync(Header(type, announcedBytes), endOfMessage: false))
        {
            return 0;
        }

        long sent = 0;
        while (sent < sendBytes)
        {
            ReadOnlyMemory<byte> part = chunk[..(int)Math.Min(chunk.Length, sendBytes - sent)];
            if (!await SendAsync(part, endOfMessage: false))
            {
                break;
            }

            sent += part.Length;
        }

        return sent;
    }

    /// <summary>Reads until the server's close (answering it) or a dropped connection; returns the frames seen before it.</summary>
    public async Task<List<SyncMessage>> ReadUntilClosedAsync()
    {
        var messages = new List<SyncMessage>();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                (SyncMessage? message, _) = await SqlSync.Transport.WebSocketFrames.ReceiveAsync(Socket, SyncProtocol.DefaultMaxFrameBytes, timeout.Token);
                if (message is null)
                {
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                    return messages;
                }

                messages.Add(message);
            }
        }
        catch (WebSocketException)
        {
            return messages; // dropped without a close frame
        }
    }

    public void Dispose() => Socket.Dispose();
}
