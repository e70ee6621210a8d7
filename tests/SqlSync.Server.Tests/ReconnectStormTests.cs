using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Issue 13, point 5: a client whose document the server refuses backs off instead of reconnecting several times a
/// second, the server logs each refusal as one line, and once the server is fixed the client syncs by itself.
/// </summary>
public sealed class ReconnectStormTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AClientTheServerRefusesBacksOffAndSyncsOnceTheServerIsFixed()
    {
        // The server takes entries of at most 64 KiB; the client's next mutation makes a 200 KiB entry, refused with
        // FrameTooLarge after the welcome and the open, every time the client connects.
        static void Strict(SqlSyncServerOptions options) =>
            options.Replication = new ReplicationOptions { MaxFrameBytes = SyncProtocol.MinMaxFrameBytes, MaxEntryBytes = 64 << 10 };
        TestServer server = await TestServer.StartAsync(ServerDirectory, Strict);
        int port = server.Port;
        try
        {
            using LocalDocument document = Client("stormy");
            document.CreateSchema();
            byte[] payload = new byte[200 << 10];
            new Random(13).NextBytes(payload);
            document.Pad("big", payload);

            await using var sync = new SqlSyncClient(new SqlSyncClientOptions
            {
                ServerUri = server.SyncUri,
                ClientName = "stormy",
                ReconnectMinDelay = TimeSpan.FromMilliseconds(200),
                ReconnectMaxDelay = TimeSpan.FromSeconds(3),
            });
            sync.Add(document);
            sync.Start();
            await Eventually.TrueAsync(() => sync.LastError is SqlSyncException { Code: SqlSyncErrorCode.Protocol } e
                && e.Message.Contains(nameof(ProtocolErrorCode.FrameTooLarge), StringComparison.Ordinal), "the server refused the client");

            // Connections in a fixed window (the one measurement here that needs one): today's client made one every
            // ~200 ms, about 40; with the delay doubling to 3 s it makes at most 8 even if every jitter is the shortest.
            int before = sync.ConnectionCount;
            await Task.Delay(TimeSpan.FromSeconds(8));
            int storm = sync.ConnectionCount - before;
            Assert.True(storm <= 9, $"{storm} connections in 8 s from a client the server refuses");
            Assert.True(storm >= 2, $"the client kept retrying ({storm} connections in 8 s)");

            IReadOnlyList<LogLine> refusals = server.Logs.Lines.Where(l => l.Message.Contains(nameof(ProtocolErrorCode.FrameTooLarge), StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(refusals);
            Assert.All(refusals, l => Assert.Null(l.Exception)); // one line each, no stack trace
            Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);

            // The operator fixes the server (default limits) and restarts it: the client syncs without help.
            await server.DisposeAsync();
            server = await TestServer.StartAsync(ServerDirectory, port: port);
            await ConvergedAsync(document, server.Document("counters"), "the refused client, once the server is fixed", TimeSpan.FromSeconds(30));
            Assert.Equal(payload.Length, Value(server.Document("counters"), "big"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
