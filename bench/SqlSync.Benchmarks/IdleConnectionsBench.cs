using System.Globalization;
using System.Net.WebSockets;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// The <c>idle-connections</c> mode (issue 13: memory per idle connection, target ≤ 64 KiB): starts the server in a
/// child process (<see cref="ServerProcess"/>), opens warm-up connections, measures the server, opens N more idle connections (each says hello,
/// opens one document and waits for the server with a receive pending, as a synced client does), measures again,
/// closes them all and measures once more. Prints the growth per connection of the server's managed heap and resident set.
/// </summary>
internal static class IdleConnectionsBench
{
    private const int WarmUp = 50;
    private const int Concurrency = 32;

    public static async Task<int> RunAsync(int count)
    {
#if DEBUG
        Console.Error.WriteLine("warning: Debug build; figures are meaningless. Run with -c Release.");
#endif
        await using ServerProcess server = await ServerProcess.StartAsync();
        var clients = new List<IdleClient>();
        try
        {
            clients.AddRange(await OpenAsync(server.SyncUri, WarmUp));
            (long managed0, long rss0) = await server.MeasureAsync();
            clients.AddRange(await OpenAsync(server.SyncUri, count));
            (long managed1, long rss1) = await server.MeasureAsync();
            foreach (IdleClient client in clients)
            {
                await client.DisposeAsync();
            }

            clients.Clear();
            await Task.Delay(TimeSpan.FromSeconds(2)); // the server's side of each close runs after the client's
            (long managed2, long rss2) = await server.MeasureAsync();

            static string KiB(double bytes) => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture);
            Console.WriteLine($"| Idle connections | Managed heap growth per connection | Resident set growth per connection | Target |");
            Console.WriteLine($"|---:|---:|---:|---:|");
            Console.WriteLine($"| {count} | {KiB((managed1 - managed0) / (double)count)} KiB | {KiB((rss1 - rss0) / (double)count)} KiB | ≤ 64 KiB |");
            Console.WriteLine();
            Console.WriteLine($"server with {WarmUp} warm-up connections: managed {managed0 >> 20} MiB, resident {rss0 >> 20} MiB; "
                + $"with {count} more: managed {managed1 >> 20} MiB, resident {rss1 >> 20} MiB; "
                + $"after all closed: managed {managed2 >> 20} MiB, resident {rss2 >> 20} MiB");
            return 0;
        }
        finally
        {
            foreach (IdleClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<List<IdleClient>> OpenAsync(Uri uri, int count)
    {
        var clients = new IdleClient[count];
        using var gate = new SemaphoreSlim(Concurrency);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                clients[i] = await IdleClient.ConnectAsync(uri, $"idle-{i}");
            }
            finally
            {
                gate.Release();
            }
        }));
        return clients.ToList();
    }

    /// <summary>A connected client with one document open, reading (and so answering pings) until disposed.</summary>
    private sealed class IdleClient : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reading;

        private IdleClient(ClientWebSocket socket)
        {
            _socket = socket;
            _reading = ReadAsync();
        }

        public static async Task<IdleClient> ConnectAsync(Uri uri, string name)
        {
            ClientWebSocket? socket = new ClientWebSocket();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await socket.ConnectAsync(uri, timeout.Token);
                await WebSocketFrames.SendAsync(socket, new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, name), timeout.Token);
                await WebSocketFrames.SendAsync(socket, new OpenDocumentMessage("idle", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()), timeout.Token);
                while (true)
                {
                    (SyncMessage? message, _) = await WebSocketFrames.ReceiveAsync(socket, SyncProtocol.DefaultMaxFrameBytes, timeout.Token);
                    switch (message)
                    {
                        case DocumentOpenedMessage:
                            var client = new IdleClient(socket);
                            socket = null; // the client owns it now
                            return client;
                        case null or ErrorMessage:
                            throw new InvalidOperationException($"the server refused idle client {name}: {message}");
                    }
                }
            }
            finally
            {
                socket?.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reading;
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }

            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task ReadAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                (SyncMessage? message, _) = await WebSocketFrames.ReceiveAsync(_socket, SyncProtocol.DefaultMaxFrameBytes, _stop.Token);
                if (message is null)
                {
                    return;
                }
            }
        }
    }
}
