using System.Net.WebSockets;
using SqlSync.Journals;
using SqlSync.Mutations;
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

    /// <summary>Connects to <paramref name="uri"/>, says hello as <paramref name="clientName"/> and is welcomed.</summary>
    public static async Task Connect(ClientWebSocket socket, Uri uri, string clientName, CancellationToken cancellationToken, int maxFrameBytes = SyncProtocol.MinMaxFrameBytes)
    {
        await socket.ConnectAsync(uri, cancellationToken);
        await Send(socket, new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, maxFrameBytes, clientName), cancellationToken);
        Assert.IsType<WelcomeMessage>(await Receive(socket, cancellationToken));
    }

    /// <summary>Opens <paramref name="documentId"/> with a new timeline and secret; returns the reply.</summary>
    public static async Task<SyncMessage?> Open(ClientWebSocket socket, string documentId, CancellationToken cancellationToken)
    {
        await Send(socket, new OpenDocumentMessage(documentId, TimelineId.New(), LsnRange.Empty, TimelineSecret.New()), cancellationToken);
        return await Receive(socket, cancellationToken);
    }

    /// <summary>The next message that is not storage the server pushed meanwhile, or null when the server closed.</summary>
    public static async Task<SyncMessage?> ReceiveSkippingStorage(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        SyncMessage? message;
        do
        {
            message = await Receive(socket, cancellationToken);
        }
        while (message is StorageEntriesMessage or StorageEntryPartMessage);

        return message;
    }
}
