using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>
/// Serves a WebSocket whose documents live elsewhere (a cluster: SqlSync.Orleans). When one is registered,
/// <c>MapSqlSync</c> authenticates and authorizes as usual and hands it the socket instead of serving the
/// documents of this process (decision 0038).
/// </summary>
internal interface IConnectionRelay
{
    Task ServeAsync(WebSocket socket, LinkIdentity identity, ConnectionLimits limits, ILogger logger, CancellationToken aborted);
}
