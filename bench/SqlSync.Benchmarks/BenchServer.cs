using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqlSync.Server;

namespace SqlSync.Benchmarks;

/// <summary>
/// An in-process Kestrel server on 127.0.0.1 (ephemeral port) hosting SqlSync on /sync with the benchmark
/// reducer; file journals under a fresh temp directory, deleted on dispose.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempRoot _root;

    private BenchServer(WebApplication app, TempRoot root, Uri syncUri)
    {
        _app = app;
        _root = root;
        SyncUri = syncUri;
    }

    public Uri SyncUri { get; }

    public static async Task<BenchServer> StartAsync(bool fsyncOnAppend) => await StartAsync(fsyncOnAppend, null);

    /// <summary><see cref="StartAsync(bool)"/> with more server options set by <paramref name="configure"/>.</summary>
    public static async Task<BenchServer> StartAsync(bool fsyncOnAppend, Action<SqlSyncServerOptions>? configure)
    {
        var root = new TempRoot("net-server");
        // The empty builder, as `sqlsync serve` uses: no configuration files, file watchers or host filtering, whose
        // assemblies the runtime would hold two file descriptors each of for the process's life.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole();
        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = root.Path;
            options.FsyncOnAppend = fsyncOnAppend;
            options.UseReducer(BenchMutations.Reducer);
            options.AllowAnonymous = true; // every benchmark client is anonymous, from 127.0.0.1: one principal, so no quotas
            options.MaxDocumentsCreatedPerHour = null;
            options.MaxOpenDocumentsPerPrincipal = null;
            options.MaxTimelinesClaimedPerHour = null;
            options.MaxUploadBytesPerMinute = null;
            configure?.Invoke(options);
        });
        WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new UriBuilder(address) { Scheme = "ws", Path = "/sync" }.Uri;
        return new BenchServer(app, root, uri);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _root.Dispose();
    }
}
