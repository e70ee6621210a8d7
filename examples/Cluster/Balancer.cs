using System.Net;
using System.Net.Sockets;

namespace Cluster;

/// <summary>
/// The load balancer in front of the silos, as a deployment has one: TCP on 127.0.0.1, no affinity. Each new
/// connection goes to the next silo in turn that accepts it, so the clients spread over the silos, and a client whose
/// silo died lands on a survivor when it reconnects. Any silo serves any document (decision 0038), so no routing by
/// document is needed. Counts the connections made to each silo.
/// </summary>
internal sealed class Balancer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<IReadOnlyList<SiloProcess>> _silos;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, int> _connections = new(StringComparer.Ordinal);
    private readonly Task _accept;
    private int _next = -1;

    public Balancer(Func<IReadOnlyList<SiloProcess>> silos)
    {
        _silos = silos;
        _listener.Start();
        Uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/sync");
        _accept = Task.Run(AcceptAsync);
    }

    /// <summary>The clients' one address: the balancer's sync endpoint.</summary>
    public Uri Uri { get; }

    /// <summary>Connections made to each silo so far, by name.</summary>
    public IReadOnlyDictionary<string, int> Connections
    {
        get
        {
            lock (_connections)
            {
                return new Dictionary<string, int>(_connections, StringComparer.Ordinal);
            }
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
        IReadOnlyList<SiloProcess> silos = _silos().Where(s => s.IsUp).ToList();
        for (int i = 0; i < silos.Count && server is null; i++)
        {
            SiloProcess silo = silos[(int)((uint)Interlocked.Increment(ref _next) % silos.Count)];
            Socket? candidate = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await candidate.ConnectAsync(IPAddress.Loopback, silo.Port, _stop.Token);
                (server, candidate) = (candidate, null);
                lock (_connections)
                {
                    _connections[silo.Name] = _connections.GetValueOrDefault(silo.Name) + 1;
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // That silo does not answer (it died a moment ago): the next one.
            }
            finally
            {
                candidate?.Dispose();
            }
        }

        using (client)
        using (server)
        {
            if (server is not null)
            {
                await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
            }
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
            // One side closed or died: the other is closed with it, as a balancer does.
        }
    }
}
