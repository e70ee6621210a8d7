using Microsoft.Extensions.Logging;

namespace SqlSync.Server.Tests;

/// <summary>Secure by default: no Authorize hook means a warning, and outside Development a refused start unless allowed.</summary>
public sealed class AnonymousAccessTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task WithoutAnAuthorizeHookTheServerRefusesToStartInProductionUnlessAnonymousAccessIsAllowed()
    {
        var error = await Assert.ThrowsAsync<SqlSyncException>(() => TestServer.StartAsync(ServerDirectory, options => options.AllowAnonymous = false));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
        Assert.Contains("no Authorize hook", error.Message);
        Assert.Contains("AllowAnonymous", error.Message);
        Assert.Contains("Production", error.Message);
        Assert.False(Directory.Exists(ServerDirectory), "the refused server opened nothing");

        await using (var allowed = await TestServer.StartAsync(ServerDirectory, logAnonymousWarning: true))
        {
            Assert.Contains(allowed.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("no Authorize hook") && l.Message.Contains("AllowAnonymous is set"));
        }

        await using var authorized = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.AllowAnonymous = false;
            TestServer.TokenAuthorization(options);
        }, logAnonymousWarning: true);
        Assert.DoesNotContain(authorized.Logs.Lines, l => l.Message.Contains("no Authorize hook"));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task WithoutAnAuthorizeHookTheServerWarnsAndServesInDevelopment()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.AllowAnonymous = false, environment: "Development", logAnonymousWarning: true);
        Assert.Contains(server.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("no Authorize hook") && l.Message.Contains("Development"));

        using var client = Client("dev");
        client.CreateSchema();
        client.Add("dev", 1);
        await using var sync = Connect(server, client);
        await ConvergedAsync(client, server.Document("counters"), "the client");
        Assert.Equal(1L, Value(server.Document("counters"), "dev"));
    }
}
