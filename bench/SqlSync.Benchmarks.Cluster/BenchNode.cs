using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SqlSync.Orleans;
using SqlSync.Server;

namespace SqlSync.Benchmarks.Cluster;

/// <summary>One server on 127.0.0.1: a silo of a localhost cluster (primary given) or, without one, the single server.</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchNode(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    public bool IsUp { get; private set; } = true;

    public CoordinatorHost Host => _app.Services.GetRequiredService<CoordinatorHost>();

    public static async Task<BenchNode> StartAsync(string dataDirectory, bool fsync, (int SiloPort, IPEndPoint Primary)? silo)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (silo is { } s)
        {
            builder.UseOrleans(orleans =>
            {
                orleans.UseLocalhostClustering(s.SiloPort, FreePort(), s.Primary, serviceId: "bench", clusterId: "bench");
                orleans.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                });
                orleans.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            });
            builder.Services.AddSqlSyncCluster();
        }

        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = dataDirectory;
            options.FsyncOnAppend = fsync;
            options.AllowAnonymous = true;
            options.UseReducer(BenchLog.Reducer.Instance);
        });
        WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchNode(app, new Uri(new Uri(address.Replace("http", "ws", StringComparison.Ordinal)), "/sync"));
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops without a handover (Orleans with a cancelled token), then lets the files go as a dead process would.</summary>
    public async Task KillAsync()
    {
        IsUp = false;
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        try
        {
            await _app.StopAsync(now.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await Host.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (IsUp)
        {
            await _app.StopAsync();
        }

        await _app.DisposeAsync();
    }
}
