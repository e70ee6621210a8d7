using System.Net;
using System.Net.Sockets;

namespace SqlSync.Server.Tests;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a server, for cutting real connections: <see cref="CutAll"/> drops
/// every connection now; <see cref="CutAfter"/> drops them once a number of bytes went one way (the cut
/// lands inside a WebSocket frame). Clients reconnect through it.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket Client, Socket Server)> _pairs = new();
    private readonly Task _accept;
    private Direction _armedDirection;
    private long _armedRemaining = -1;
    private long _clientToServer;
    private long _serverToClient;
    private int _connections;
    private int _cuts;
    private bool _holdAfterCut;
    private volatile bool _held;

    public TcpProxy(Uri target)
    {
        _targetPort = target.Port;
        _listener.Start();
        int port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Uri = new UriBuilder(target) { Port = port }.Uri;
        _accept = Task.Run(AcceptAsync);
    }

    public enum Direction
    {
        ClientToServer,
        ServerToClient,
    }

    /// <summary>The target URI with the proxy's port.</summary>
    public Uri Uri { get; }

    public int Connections => Volatile.Read(ref _connections);

    public int Cuts => Volatile.Read(ref _cuts);

    public long BytesClientToServer => Interlocked.Read(ref _clientToServer);

    public long BytesServerToClient => Interlocked.Read(ref _serverToClient);

    /// <summary>True while new connections are refused (the network is "down").</summary>
    public bool IsHeld => _held;

    /// <summary>
    /// Drops every connection once <paramref name="bytes"/> more bytes went <paramref name="direction"/> (once);
    /// with <paramref name="holdAfterCut"/>, new connections are refused until <see cref="Release"/>.
    /// </summary>
    public void CutAfter(Direction direction, long bytes, bool holdAfterCut = false)
    {
        lock (_pairs)
        {
            _armedDirection = direction;
            _armedRemaining = bytes;
            _holdAfterCut = holdAfterCut;
        }
    }

    /// <summary>Accepts connections again after a held cut.</summary>
    public void Release() => _held = false;

    /// <summary>Drops every connection now (both sides see a reset).</summary>
    public void CutAll()
    {
        lock (_pairs)
        {
            CutAllLocked();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
        _listener.Dispose();
    }

    private void CutAllLocked()
    {
        if (_pairs.Count > 0)
        {
            Interlocked.Increment(ref _cuts);
        }

        foreach ((Socket client, Socket server) in _pairs)
        {
            Abort(client);
            Abort(server);
        }

        _pairs.Clear();
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close with a reset, as a dropped network would look
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client = await _listener.AcceptSocketAsync(_stop.Token);
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            if (_held)
            {
                Abort(client);
                server.Dispose();
                continue;
            }

            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (SocketException)
            {
                Abort(client);
                server.Dispose();
                continue;
            }

            lock (_pairs)
            {
                _pairs.Add((client, server));
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => PumpAsync(client, server, Direction.ClientToServer));
            _ = Task.Run(() => PumpAsync(server, client, Direction.ServerToClient));
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Direction direction)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                int forward = read;
                bool cut = false;
                lock (_pairs)
                {
                    if (_armedRemaining >= 0 && _armedDirection == direction)
                    {
                        if (read >= _armedRemaining)
                        {
                            forward = (int)_armedRemaining;
                            cut = true;
                            _armedRemaining = -1;
                        }
                        else
                        {
                            _armedRemaining -= read;
                        }
                    }
                }

                if (forward > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, forward), SocketFlags.None);
                    Interlocked.Add(ref direction == Direction.ClientToServer ? ref _clientToServer : ref _serverToClient, forward);
                }

                if (cut)
                {
                    if (_holdAfterCut)
                    {
                        _held = true;
                    }

                    CutAll();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Abort(from);
            Abort(to);
        }
    }
}
