using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SqlSync.Server;

namespace SqlSync.Orleans;

/// <summary>Serves SqlSync from an Orleans cluster (decision 0038).</summary>
public static class SqlSyncOrleansServiceCollectionExtensions
{
    /// <summary>
    /// On a silo that also calls <c>AddSqlSync</c> and <c>MapSqlSync</c>: every document is served by its grain
    /// (one activation in the cluster, opened by that silo's coordinator host), and this silo's WebSocket clients
    /// reach every document through it. Every silo's data directory must be the same store.
    /// </summary>
    public static IServiceCollection AddSqlSyncCluster(this IServiceCollection services) => services.AddSqlSyncCluster(_ => { });

    /// <summary><see cref="AddSqlSyncCluster(IServiceCollection)"/>, with the grains' options (<see cref="SqlSyncClusterOptions"/>).</summary>
    public static IServiceCollection AddSqlSyncCluster(this IServiceCollection services, Action<SqlSyncClusterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SqlSyncClusterOptions();
        configure(options);
        options.Validate(); // at start-up, not at a grain's first activation
        services.Replace(ServiceDescriptor.Singleton(options)); // the last call's options, as its configure says
        services.TryAddSingleton<ClusterRelay>();
        services.TryAddSingleton<IConnectionRelay>(provider => provider.GetRequiredService<ClusterRelay>());
        services.AddHostedService<MembershipWatch>();
        return services;
    }
}
