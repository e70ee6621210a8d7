using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;
using SqlSync.Server;

namespace SqlSync.Orleans;

/// <summary>What <c>MapSqlSync</c> hands each WebSocket to on a silo: a <see cref="RelayConnection"/> to the document grains.</summary>
internal sealed class ClusterRelay : IConnectionRelay
{
    private readonly IGrainFactory _grains;
    private readonly CoordinatorHost _host;
    private readonly ReplicationServer _server;
    private readonly ConcurrentDictionary<RelayConnection, byte> _connections = new();

    public ClusterRelay(IGrainFactory grains, CoordinatorHost host)
    {
        _grains = grains;
        _host = host;
        _server = new ReplicationServer(new RelayDocuments(), host.Options.Replication);
    }

    public async Task ServeAsync(WebSocket socket, LinkIdentity identity, ConnectionLimits limits, ILogger logger, CancellationToken aborted)
    {
        ServerLink link = _server.CreateLink(identity, limits.Budget, limits.MaxEntryBytesPerConnection);
        logger.LogInformation("Link {LinkId} connected (cluster relay) as {Principal}.", link.Id, identity.Principal ?? "(anonymous)");
        using var connection = new RelayConnection(socket, link, identity, limits, logger, _grains, _host);
        _connections[connection] = 0;
        try
        {
            await connection.RunAsync(aborted).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }

        logger.LogInformation("Link {LinkId} disconnected.", link.Id);
    }

    /// <summary>
    /// A silo left the cluster: every document of every connection here polls its grain. A grain that died with its
    /// silo cannot say it lost its links; the poll reaches its new activation, which does not know the link, and the
    /// client opens the document again (a client that only reads would otherwise wait on a grain that is gone).
    /// </summary>
    public void SiloLeft()
    {
        foreach (RelayConnection connection in _connections.Keys)
        {
            connection.PollAll();
        }
    }
}
