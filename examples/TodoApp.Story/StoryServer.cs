using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqlSync.Mutations;
using SqlSync.Server;

namespace TodoApp.Story;

/// <summary>A todo server of one app version: SqlSync's ASP.NET Core hosting on 127.0.0.1 with that version's reducer.</summary>
internal sealed class StoryServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StoryServer(WebApplication app, Uri syncUri, int port)
    {
        _app = app;
        SyncUri = syncUri;
        Port = port;
    }

    public Uri SyncUri { get; }

    /// <summary>The port, kept by the upgraded server so that clients find it where they left it.</summary>
    public int Port { get; }

    /// <summary>Starts a server on <paramref name="port"/> (0: any free port) serving the documents under <paramref name="dataDirectory"/>.</summary>
    public static async Task<StoryServer> StartAsync(string dataDirectory, IMutationReducer reducer, int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:" + port);
        builder.Logging.SetMinimumLevel(LogLevel.Error); // the story tells what happens; errors still show
        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = dataDirectory;
            options.UseReducer(reducer);
            options.AllowAnonymous = true; // a story on 127.0.0.1: a real server sets options.Authorize (README, "The server")
        });
        WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new StoryServer(app, new UriBuilder(address) { Scheme = "ws", Path = "/sync" }.Uri, address.Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
