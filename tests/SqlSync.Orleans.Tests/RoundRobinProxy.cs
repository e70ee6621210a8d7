using System.Net;
using System.Net.Sockets;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// A load balancer without affinity on 127.0.0.1: each new connection goes to the next silo that accepts it, so
/// a client's reconnect after its silo died lands on a survivor. Counts connections per silo.
/// </summary>
internal sealed class RoundRobinProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<IReadOnlyList<int>> _targets;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly Dictionary<int, int> _connections = new();
    private int _next;

    public RoundRobinProxy(Func<IReadOnlyList<int>> targets)
    {
        _targets = targets;
        _listener.Start();
        Uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/sync");
        _accept = Task.Run(AcceptAsync);
    }

    public Uri Uri { get; }

    /// <summary>Connections made to each silo's port so far.</summary>
    public int ConnectionsTo(int port)
    {
        lock (_connections)
        {
            return _connections.GetValueOrDefault(port);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        Socket? server = null;
        IReadOnlyList<int> targets = _targets();
        for (int i = 0; i < targets.Count && server is null; i++)
        {
            int port = targets[(int)((uint)Interlocked.Increment(ref _next) % targets.Count)];
            Socket? candidate = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await candidate.ConnectAsync(IPAddress.Loopback, port);
                (server, candidate) = (candidate, null);
                lock (_connections)
                {
                    _connections[port] = _connections.GetValueOrDefault(port) + 1;
                }
            }
            catch (SocketException)
            {
                // That silo is down: the next one.
            }
            finally
            {
                candidate?.Dispose();
            }
        }

        if (server is null)
        {
            client.Dispose();
            return;
        }

        using (client)
        using (server)
        {
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
