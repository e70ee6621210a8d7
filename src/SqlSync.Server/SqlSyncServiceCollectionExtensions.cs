using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>Registers SqlSync's coordinator hosting.</summary>
public static class SqlSyncServiceCollectionExtensions
{
    /// <summary>
    /// Adds the coordinator host: a coordinator per document, opened on first use under
    /// <see cref="SqlSyncServerOptions.DataDirectory"/>, stepped in the background, closed gracefully at
    /// shutdown. Map the endpoint with <c>app.MapSqlSync("/sync")</c>.
    /// </summary>
    public static IServiceCollection AddSqlSync(this IServiceCollection services, Action<SqlSyncServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        services.AddMetrics();
        services.TryAddSingleton<CoordinatorHost>();
        services.TryAddSingleton(provider => new PresenceHub(provider.GetRequiredService<IOptions<SqlSyncServerOptions>>().Value.Presence));
        services.TryAddSingleton<ConnectionLimits>();
        services.TryAddSingleton(provider => new QuotaLedger(provider.GetRequiredService<IOptions<SqlSyncServerOptions>>().Value.QuotaLimits));
        services.AddHostedService<AnonymousAccessCheck>(); // before the host: a refused start opens nothing
        services.AddHostedService(provider => provider.GetRequiredService<CoordinatorHost>());
        return services;
    }
}
