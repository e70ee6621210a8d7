using System.Net.WebSockets;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Orleans.Tests;

/// <summary>Protocol frames over a bare WebSocket, as a hostile or hand-driven client sends them.</summary>
internal static class RawFrames
{
    public static Task Send(ClientWebSocket socket, SyncMessage message, CancellationToken cancellationToken) =>
        socket.SendAsync(SyncMessageCodec.Encode(message), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

    /// <summary>The next message, or null when the server closed.</summary>
    public static async Task<SyncMessage?> Receive(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1 << 20];
        int length = 0;
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return SyncMessageCodec.Decode(buffer.AsSpan(0, length));
            }
        }
    }
}
