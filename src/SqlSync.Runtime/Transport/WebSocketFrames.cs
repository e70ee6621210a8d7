using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>Reads and writes whole protocol frames as binary WebSocket messages; shared by client and server.</summary>
internal static class WebSocketFrames
{
    /// <summary>
    /// Reads one message and decodes it; also returns its size in bytes. The message is null when the peer closed. A text message, a message larger
    /// than <paramref name="maxFrameBytes"/> or a malformed frame throws a protocol <see cref="SqlSyncException"/>
    /// (the oversized message is not buffered past the limit).
    /// </summary>
    public static Task<(SyncMessage? Message, int Bytes)> ReceiveAsync(WebSocket socket, int maxFrameBytes, CancellationToken cancellationToken) =>
        ReceiveAsync(socket, maxFrameBytes, budget: null, cancellationToken);

    /// <summary>
    /// Reads one message of at most <paramref name="maxMessageBytes"/> and decodes it, as the other overload, charging its
    /// buffer to <paramref name="budget"/>. While no message is arriving nothing is held but the frame header's 8 bytes; the
    /// header is checked as soon as it is in (magic, version, announced length against the limit), and the buffer then
    /// grows with the bytes that arrive. A buffer the budget cannot cover throws <see cref="ProtocolErrorCode.ServerBusy"/>.
    /// The buffer is released before this returns or throws.
    /// </summary>
    public static async Task<(SyncMessage? Message, int Bytes)> ReceiveAsync(WebSocket socket, int maxMessageBytes, ReceiveBudget? budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        byte[] header = new byte[SyncProtocol.HeaderSize];
        int headerLength = 0;
        bool end = false;
        while (headerLength < header.Length && !end)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(header.AsMemory(headerLength), cancellationToken).ConfigureAwait(false);
            if (!Check(result))
            {
                return (null, headerLength);
            }

            headerLength += result.Count;
            end = result.EndOfMessage;
        }

        if (end)
        {
            return (SyncMessageCodec.Decode(header.AsSpan(0, headerLength), maxMessageBytes), headerLength); // shorter than a header: malformed
        }

        int announced = CheckHeader(header, maxMessageBytes);

        // A client copies an entry's part into the entry being reassembled as soon as it takes it: the part's frame comes
        // from the frame pool and goes back then (decision 0043), instead of a new megabyte for each.
        bool pooledPart = budget is null && header[3] == (byte)SyncMessageType.StorageEntryPart;
        using var buffer = new MessageBuffer(budget, poolAnySize: pooledPart);
        buffer.Grow(announced);
        header.CopyTo(buffer.Free);
        buffer.Length = header.Length;
        while (true)
        {
            if (buffer.Free.Length == 0)
            {
                if (buffer.Length >= announced)
                {
                    // More than the header announced: the frame is malformed whatever follows, so do not read it.
                    throw ProtocolException.Create(ProtocolErrorCode.MalformedFrame, $"the header announces {announced - SyncProtocol.HeaderSize} payload bytes but more follow");
                }

                buffer.Grow(announced);
            }

            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.Free, cancellationToken).ConfigureAwait(false);
            if (!Check(result))
            {
                return (null, buffer.Length);
            }

            buffer.Length += result.Count;
            if (result.EndOfMessage)
            {
                // Without a budget (a client) the entries of a large message stay slices of its buffer: no copy. A server
                // copies them, so what it holds after the buffer's charge is given back stays what it was.
                if (pooledPart)
                {
                    int length = buffer.Length;
                    return (DecodePooled(buffer.TakePooled(), maxMessageBytes), length);
                }

                ReadOnlyMemory<byte> keepable = budget is null ? buffer.Keepable : ReadOnlyMemory<byte>.Empty;
                SyncMessage decoded = keepable.IsEmpty ? SyncMessageCodec.Decode(buffer.Written, maxMessageBytes) : SyncMessageCodec.DecodeKeepingFrame(keepable, maxMessageBytes);
                return (decoded, buffer.Length);
            }
        }
    }

    /// <summary>
    /// Decodes a part received into a pooled frame. A part whose bytes came LZ4-compressed was decoded into an array of its
    /// own, and one that fails to decode has nothing: either way the frame goes back to the pool at once.
    /// </summary>
    private static SyncMessage DecodePooled(ReadOnlyMemory<byte> frame, int maxMessageBytes)
    {
        SyncMessage decoded;
        try
        {
            decoded = SyncMessageCodec.DecodeKeepingFrame(frame, maxMessageBytes);
        }
        catch
        {
            PooledFrame.Release(frame);
            throw;
        }

        if (decoded is not EntryPartMessage part || !MemoryMarshal.TryGetMemoryManager(part.Bytes, out PooledFrame? _))
        {
            PooledFrame.Release(frame);
        }

        return decoded;
    }

    /// <summary>False for a close; throws for a text message.</summary>
    private static bool Check(ValueWebSocketReceiveResult result) => result.MessageType switch
    {
        WebSocketMessageType.Close => false,
        WebSocketMessageType.Binary => true,
        _ => throw ProtocolException.Create(ProtocolErrorCode.MalformedFrame, "a text message; frames are binary"),
    };

    /// <summary>The whole frame length a header announces, checked against the limit before anything more is read.</summary>
    private static int CheckHeader(ReadOnlySpan<byte> header, int maxMessageBytes)
    {
        if (BinaryPrimitives.ReadUInt16LittleEndian(header) != SyncProtocol.Magic || header[2] != SyncProtocol.Version)
        {
            SyncMessageCodec.Decode(header, maxMessageBytes); // throws the codec's own error for bad magic or version
        }

        long announced = SyncProtocol.HeaderSize + (long)BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (announced > maxMessageBytes)
        {
            throw ProtocolException.Create(ProtocolErrorCode.FrameTooLarge, $"a message of {announced} bytes exceeds the frame limit of {maxMessageBytes} bytes");
        }

        return (int)announced;
    }

    /// <summary>
    /// Encodes and sends one message as one binary WebSocket message. Returns the bytes sent. An entry's part is encoded
    /// for one link and sent once, so its frame (a megabyte each) is written into a buffer of the frame pool, given back after the
    /// send: a join of large entries no longer allocates its size again on the sender (decision 0043). A send that fails
    /// keeps its buffer out of the pool (the socket may still hold it).
    /// </summary>
    public static async Task<int> SendAsync(WebSocket socket, SyncMessage message, CancellationToken cancellationToken)
    {
        if (message is EntryPartMessage)
        {
            byte[] rented = FramePool.Instance.Rent(SyncMessageCodec.MinBufferFor(message));
            ReadOnlyMemory<byte> encoded = SyncMessageCodec.EncodeInto(message, rented);
            await socket.SendAsync(encoded, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            FramePool.Instance.Return(rented);
            return encoded.Length;
        }

        ReadOnlyMemory<byte> frame = message is PresenceChangedMessage presence ? presence.Frame : SyncMessageCodec.EncodeToMemory(message); // a fanned-out presence frame is encoded once
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

    /// <summary>
    /// Sends a close frame if <paramref name="socket"/> is open, without waiting for the peer's (a receive in progress
    /// gets it), giving up after two seconds; a peer that is already gone is not an error here.
    /// </summary>
    public static async Task CloseOutputQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string description)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// The error frame that tells the peer why the link is closing; its text names no absolute path. Only SqlSync's
    /// own errors (worded without server paths) pass their message on; any other exception (an operating-system
    /// message may name paths that the scrub cannot recognise, such as ones with spaces) passes only its type.
    /// </summary>
    public static ErrorMessage ErrorFor(Exception exception) => new(
        ProtocolException.CodeOf(exception),
        exception.Data["DocumentId"] as string ?? "",
        PeerErrorText.Of(exception is SqlSyncException ? exception.Message : $"{exception.GetType().Name} (details in the sender's log)"));
}
