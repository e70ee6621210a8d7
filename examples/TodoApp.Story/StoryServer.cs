using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using SqlSync.Mutations;

namespace TodoApp.Story;

/// <summary>A todo server of one app version: the TodoApp's server (examples/TodoApp/TodoServer.cs) with that version's reducer.</summary>
internal sealed class StoryServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StoryServer(WebApplication app, Uri syncUri)
    {
        _app = app;
        SyncUri = syncUri;
    }

    public Uri SyncUri { get; }

    /// <summary>The port, kept by the upgraded server so that clients find it where they left it.</summary>
    public int Port => SyncUri.Port;

    /// <summary>Starts a server on 127.0.0.1:<paramref name="port"/> (0: any free port) serving the documents under <paramref name="dataDirectory"/>.</summary>
    public static async Task<StoryServer> StartAsync(string dataDirectory, IMutationReducer reducer, int port)
    {
        // Errors only: the story tells what happens (the anonymous-access warning is the demo's, on 127.0.0.1).
        (WebApplication app, Uri syncUri) = await TodoServer.StartAsync(dataDirectory, "http://127.0.0.1:" + port, LogLevel.Error, reducer);
        return new StoryServer(app, syncUri);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
