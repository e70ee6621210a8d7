using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SqlSync.Server;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// One silo as production runs it: an ASP.NET Core host with Orleans (localhost clustering, the first silo holding
/// the membership table), <c>AddSqlSync</c> + <c>AddSqlSyncCluster</c>, and <c>MapSqlSync</c> on Kestrel, 127.0.0.1.
/// </summary>
internal sealed class ClusterSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private ClusterSilo(WebApplication app, int port, string name)
    {
        _app = app;
        Port = port;
        Name = name;
    }

    /// <summary>The document grains' link check of every test silo.</summary>
    public static TimeSpan LinkCheckInterval { get; } = TimeSpan.FromSeconds(2);

    public string Name { get; }

    /// <summary>Kestrel's port (the clients' endpoint).</summary>
    public int Port { get; private set; }

    public bool IsUp => !_stopped;

    public CoordinatorHost Host => _app.Services.GetRequiredService<CoordinatorHost>();

    /// <summary>The silo's services (its meter factory: each silo's instruments are its own).</summary>
    public IServiceProvider Services => _app.Services;

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    public static async Task<ClusterSilo> StartAsync(string name, int siloPort, int gatewayPort, IPEndPoint primary, string dataDirectory,
        Action<SqlSyncServerOptions>? configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("SQLSYNC_TEST_DEBUG") == "1")
        {
            // SqlSync's debug lines on the console (dotnet test --logger "console;verbosity=detailed"), to follow a failure.
            builder.Logging.AddSimpleConsole();
            builder.Logging.AddFilter("SqlSync", LogLevel.Debug);
        }

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, primary, serviceId: "sqlsync-tests", clusterId: "sqlsync-tests");
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                // A killed silo is declared dead within seconds (the defaults take about a minute).
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(5));
        });
        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = dataDirectory;
            options.FsyncOnAppend = false;
            options.AllowAnonymous = true;
            options.UseReducer(LogMutations.Reducer.Instance);
            configure?.Invoke(options);
        });
        // Links checked every 2 s (30 s by default), so a test sees a dead connection's link go within seconds.
        builder.Services.AddSqlSyncCluster(o => o.LinkCheckInterval = LinkCheckInterval);
        WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ClusterSilo(app, new Uri(address).Port, name);
    }

    /// <summary>Not a shutdown: Orleans stops without handing anything over, Kestrel drops its connections.</summary>
    public async Task KillAsync()
    {
        _stopped = true;
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        try
        {
            await _app.StopAsync(now.Token);
        }
        catch (OperationCanceledException)
        {
        }

        // A dead process holds no file locks: the operating system lets them go. In one process the host must.
        await Host.DisposeAsync();
    }

    /// <summary>A graceful shutdown: grains deactivate, connections close.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync();
        }

        await _app.DisposeAsync();
    }
}
