using System.Net.WebSockets;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// A bare WebSocket that speaks the protocol frame by frame, for tests that play a (misbehaving) client:
/// it sends whatever bytes it is given and reads the server's frames one at a time.
/// </summary>
internal sealed class RawSyncSocket : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);
    private readonly ClientWebSocket _socket;

    private RawSyncSocket(ClientWebSocket socket)
    {
        _socket = socket;
    }

    public WebSocketState State => _socket.State;

    public static async Task<RawSyncSocket> ConnectAsync(Uri uri, string? token = null)
    {
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return new RawSyncSocket(socket);
    }

    /// <summary>Connects, says hello and waits for the welcome.</summary>
    public static async Task<RawSyncSocket> ConnectAndHelloAsync(Uri uri, string? token = null)
    {
        RawSyncSocket socket = await ConnectAsync(uri, token);
        await socket.SendAsync(Hello());
        await socket.ExpectAsync<WelcomeMessage>();
        return socket;
    }

    public static HelloMessage Hello(string name = "raw") => new(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, name);

    /// <summary>Timeline entries [first, first + count) of valid <c>Add(name, 1)</c> records.</summary>
    public static JournalPartial AddEntries(Lsn first, int count, string name = "raw")
    {
        var entries = new ReadOnlyMemory<byte>[count];
        var writer = new MutationWriter();
        for (int i = 0; i < count; i++)
        {
            writer.Reset();
            new CounterMutations.AddMutation(name, 1).WriteTo(writer);
            entries[i] = TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan);
        }

        return new JournalPartial(LsnRange.Inclusive(first, new Lsn(first.Value + (ulong)count - 1)), entries);
    }

    public Task SendAsync(SyncMessage message) => SendRawAsync(SyncMessageCodec.Encode(message));

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type = WebSocketMessageType.Binary)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next frame from the server, or null when it closed (the close handshake is answered).</summary>
    public async Task<SyncMessage?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        SyncMessage? message;
        try
        {
            (message, _) = await WebSocketFrames.ReceiveAsync(_socket, SyncProtocol.DefaultMaxFrameBytes, cancel.Token);
        }
        catch (WebSocketException)
        {
            return null; // the server dropped the connection without a close frame
        }

        if (message is null && _socket.State == WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancel.Token);
            }
            catch (WebSocketException)
            {
            }
        }

        return message;
    }

    /// <summary>Reads frames until one of type <typeparamref name="T"/> (skipping pushed storage); an error or a close fails.</summary>
    public async Task<T> ExpectAsync<T>(Func<T, bool>? match = null)
        where T : SyncMessage
    {
        while (true)
        {
            SyncMessage? message = await ReceiveAsync();
            switch (message)
            {
                case T wanted when match is null || match(wanted):
                    return wanted;
                case null:
                    throw new InvalidOperationException($"The server closed the link while {typeof(T).Name} was expected.");
                case ErrorMessage error:
                    throw new InvalidOperationException($"The server sent error {error.Code} while {typeof(T).Name} was expected: {error.Message}");
            }
        }
    }

    /// <summary>Reads frames until the error frame, then expects the server to close the link.</summary>
    public async Task<ErrorMessage> ExpectErrorAsync()
    {
        while (true)
        {
            SyncMessage? message = await ReceiveAsync();
            if (message is ErrorMessage error)
            {
                SyncMessage? after = await ReceiveAsync();
                Assert.Null(after);
                return error;
            }

            if (message is null)
            {
                throw new InvalidOperationException("The server closed the link without an error frame.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        _socket.Dispose();
    }
}
