using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Server;
using SqlSync.Transport;
using Xunit;

namespace Consumer;

public sealed class ServerTests
{
    /// <summary>The packed SqlSync.Server hosts a coordinator; a client from SqlSync.Runtime syncs a mutation through it.</summary>
    [Fact]
    public async Task A_mutation_syncs_through_the_packed_server()
    {
        string data = Directory.CreateTempSubdirectory("consumer-server-").FullName;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSqlSync(o => { o.DataDirectory = data; o.UseReducer(NoteMutations.Reducer.Instance); o.AllowAnonymous = true; });
        await using WebApplication app = builder.Build();
        app.MapSqlSync("/sync");
        await app.StartAsync();
        var uri = new UriBuilder(app.Urls.First()) { Scheme = "ws", Path = "/sync" }.Uri;

        using var document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "notes", Reducer = NoteMutations.Reducer.Instance });
        await using var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = uri });
        client.Add(document);
        client.Start();
        document.CreateSchema();
        document.AddNote("over the wire", 1);
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (document.PendingMutationCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, document.PendingMutationCount);
        Assert.Equal(1L, document.QueryScalar<long>("SELECT count(*) FROM notes"));
        await app.StopAsync();
    }
}
