using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>Maps the SqlSync WebSocket endpoint.</summary>
public static class SqlSyncEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves SqlSync clients on <paramref name="pattern"/> (WebSocket only; other requests get 400). The
    /// returned builder takes the usual conventions, e.g. <c>.RequireAuthorization()</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapSqlSync(this IEndpointRouteBuilder endpoints, string pattern = "/sync")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        IApplicationBuilder builder = endpoints.CreateApplicationBuilder().UseWebSockets();
        ConnectionLimits limits = endpoints.ServiceProvider.GetRequiredService<ConnectionLimits>(); // checks the options now
        builder.Run(context => HandleAsync(context, limits));
        RequestDelegate pipeline = builder.Build();
        return endpoints.Map(pattern, pipeline).WithDisplayName("SqlSync");
    }

    private static async Task HandleAsync(HttpContext context, ConnectionLimits limits)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("SqlSync speaks WebSocket here.").ConfigureAwait(false);
            return;
        }

        var host = context.RequestServices.GetRequiredService<CoordinatorHost>();
        ILogger logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SqlSync.Server.Connection");
        SqlSyncServerOptions options = host.Options;
        string? principal = options.GetPrincipal(context);
        Func<string, DocumentAccess> authorize = options.Authorize is { } hook ? documentId => hook(context, documentId) : static _ => DocumentAccess.ReadWrite;
        string quotaKey = QuotaLedger.KeyFor(principal, context.Connection.RemoteIpAddress);
        PrincipalQuota quota = context.RequestServices.GetRequiredService<QuotaLedger>().For(quotaKey);
        var identity = new LinkIdentity(principal, authorize, quota) { QuotaKey = quotaKey };
        if (context.RequestServices.GetService<IConnectionRelay>() is { } relay)
        {
            using WebSocket relayed = await AcceptAsync(context, limits).ConfigureAwait(false);
            await relay.ServeAsync(relayed, identity, limits, logger, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        ServerLink link = host.Server.CreateLink(identity, limits.Budget, limits.MaxEntryBytesPerConnection);
        using WebSocket socket = await AcceptAsync(context, limits).ConfigureAwait(false);
        logger.LogInformation("Link {LinkId} connected from {Remote} as {Principal}.", link.Id, context.Connection.RemoteIpAddress, identity.Principal ?? "(anonymous)");
        using var connection = new SyncConnection(socket, link, host, limits, logger, context.RequestServices.GetRequiredService<PresenceHub>());
        await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
        logger.LogInformation("Link {LinkId} disconnected.", link.Id);
    }

    private static Task<WebSocket> AcceptAsync(HttpContext context, ConnectionLimits limits) =>
        context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = limits.KeepAliveInterval,
            KeepAliveTimeout = limits.KeepAliveTimeout,
        });
}
