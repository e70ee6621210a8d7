using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Server.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with an ephemeral port, hosting SqlSync on /sync.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri syncUri, string dataDirectory, LogCapture logs)
    {
        _app = app;
        SyncUri = syncUri;
        DataDirectory = dataDirectory;
        Logs = logs;
    }

    public Uri SyncUri { get; }

    /// <summary>The port Kestrel listens on; pass it to <see cref="StartAsync"/> to restart on the same address.</summary>
    public int Port => SyncUri.Port;

    /// <summary>The server's warnings and errors.</summary>
    public LogCapture Logs { get; }

    /// <summary>The coordinator host behind the endpoint.</summary>
    public CoordinatorHost Host => _app.Services.GetRequiredService<CoordinatorHost>();

    /// <summary>The coordinator of <paramref name="documentId"/> (opened, or created, on first use).</summary>
    public CoordinatorDocument Document(string documentId) => Host.GetDocument(documentId);

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a server; anonymous access is allowed unless <paramref name="configure"/> says otherwise (the environment
    /// is Production unless given). The warning about anonymous access is left out of <see cref="Logs"/> unless
    /// <paramref name="logAnonymousWarning"/>: tests assert that the server warns of nothing else.
    /// </summary>
    public static async Task<TestServer> StartAsync(string dataDirectory, Action<SqlSyncServerOptions>? configure = null, int port = 0, string? environment = null,
        bool logAnonymousWarning = false, LogLevel logLevel = LogLevel.Warning)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var logs = new LogCapture(logLevel);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddProvider(logs);
        if (!logAnonymousWarning)
        {
            builder.Logging.AddFilter("SqlSync.Server.AnonymousAccessCheck", LogLevel.Error);
        }

        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = dataDirectory;
            options.FsyncOnAppend = false;
            options.AllowAnonymous = true;
            options.UseReducer(CounterMutations.Reducer.Instance);
            configure?.Invoke(options);
        });
        WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync(); // a refused start (e.g. anonymous access outside Development) leaves nothing running
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new UriBuilder(address) { Scheme = "ws", Path = "/sync" }.Uri;
        return new TestServer(app, uri, dataDirectory, logs);
    }

    /// <summary>Authorization by bearer token: "writer-NAME" read-write as NAME, "reader" read-only, anything else denied for "secret".</summary>
    public static void TokenAuthorization(SqlSyncServerOptions options)
    {
        options.GetPrincipal = context => Token(context);
        options.Authorize = (context, documentId) =>
        {
            string? token = Token(context);
            if (documentId == "secret" || token is null)
            {
                return DocumentAccess.Denied;
            }

            return token.StartsWith("writer-", StringComparison.Ordinal) ? DocumentAccess.ReadWrite
                : token == "reader" ? DocumentAccess.ReadOnly : DocumentAccess.Denied;
        };
    }

    private static string? Token(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
