using System.Buffers;
using System.Net.WebSockets;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>Reads and writes whole protocol frames as binary WebSocket messages; shared by client and server.</summary>
public static class WebSocketFrames
{
    /// <summary>
    /// Reads one message and decodes it; also returns its size in bytes. The message is null when the peer closed. A text message, a message larger
    /// than <paramref name="maxFrameBytes"/> or a malformed frame throws a protocol <see cref="SqlSyncException"/>
    /// (the oversized message is not buffered past the limit).
    /// </summary>
    public static async Task<(SyncMessage? Message, int Bytes)> ReceiveAsync(WebSocket socket, int maxFrameBytes, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= maxFrameBytes)
                    {
                        throw ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"a message exceeds the frame limit of {maxFrameBytes} bytes");
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxFrameBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (null, length);
                }

                if (result.MessageType != WebSocketMessageType.Binary)
                {
                    throw ProtocolException.Create(ProtocolErrorCode.MalformedFrame, "a text message; frames are binary");
                }

                length += result.Count;
                if (length > maxFrameBytes)
                {
                    throw ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"a message exceeds the frame limit of {maxFrameBytes} bytes");
                }

                if (result.EndOfMessage)
                {
                    return (SyncMessageCodec.Decode(buffer.AsSpan(0, length), maxFrameBytes), length);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Encodes and sends one message as one binary WebSocket message. Returns the bytes sent.</summary>
    public static async Task<int> SendAsync(WebSocket socket, SyncMessage message, CancellationToken cancellationToken)
    {
        byte[] frame = SyncMessageCodec.Encode(message);
        await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        return frame.Length;
    }

    /// <summary>
    /// Closes <paramref name="socket"/> if it is still open, giving up after two seconds; a peer that is
    /// already gone is not an error here.
    /// </summary>
    public static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.CloseAsync(status, description, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>The error frame that tells the peer why the link is closing; its text names no absolute path.</summary>
    public static ErrorMessage ErrorFor(Exception exception) => new(
        ProtocolException.CodeOf(exception),
        exception.Data["DocumentId"] as string ?? "",
        PeerErrorText.Of(exception.Message));
}
