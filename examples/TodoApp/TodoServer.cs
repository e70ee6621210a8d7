using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqlSync.Mutations;
using SqlSync.Server;

namespace TodoApp;

/// <summary>The todo server: SqlSync's ASP.NET Core hosting with the todo reducer.</summary>
internal static class TodoServer
{
    /// <summary>Starts a server and returns it with its sync endpoint; <paramref name="reducer"/> is the app version it serves (version 1 unless given).</summary>
    public static async Task<(WebApplication App, Uri SyncUri)> StartAsync(string dataDirectory, string urls, LogLevel logLevel, IMutationReducer? reducer = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Services.AddSqlSync(options =>
        {
            options.DataDirectory = dataDirectory;
            options.UseReducer(reducer ?? TodoMutations.Reducer.Instance);
            options.AllowAnonymous = true; // a demo on 127.0.0.1: a real server sets options.Authorize (README, "The server")
        });
        WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new UriBuilder(address) { Scheme = "ws", Path = "/sync" }.Uri);
    }

    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        string data = options.GetValueOrDefault("--data", "todo-data");
        (WebApplication app, Uri uri) = await StartAsync(data, options.GetValueOrDefault("--urls", "http://127.0.0.1:5080"), LogLevel.Information);
        Console.WriteLine($"todo server: {uri} (data in {Path.GetFullPath(data)}); Ctrl+C to stop");
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }
}
