using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>Per-principal quotas: documents created, timelines claimed, upload bytes (docs/protocol.md, "Quotas").</summary>
public sealed class QuotaTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task APrincipalCreatesAtMostItsQuotaOfDocumentsAndOthersAreUnaffected()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            AnyTokenWrites(options);
            options.MaxDocumentsCreatedPerHour = 3;
        });

        await using (RawSyncSocket alice = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "alice"))
        {
            for (int i = 0; i < 3; i++)
            {
                await alice.SendAsync(TimelineSecrets.Open($"doc-{i}", TimelineId.New(), LsnRange.Empty));
                await alice.ExpectAsync<DocumentOpenedMessage>();
            }

            await alice.SendAsync(TimelineSecrets.Open("doc-0", TimelineId.New(), LsnRange.Empty)); // exists: not counted
            await alice.ExpectAsync<DocumentOpenedMessage>();
            await alice.SendAsync(TimelineSecrets.Open("doc-3", TimelineId.New(), LsnRange.Empty));
            ErrorMessage error = await alice.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.QuotaExceeded, error.Code);
            Assert.Equal("doc-3", error.DocumentId);
            Assert.Contains("3 documents this hour", error.Message);
        }

        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "doc-3")), "the refused document was not created");
        await using (RawSyncSocket alice = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "alice"))
        {
            await alice.SendAsync(TimelineSecrets.Open("doc-4", TimelineId.New(), LsnRange.Empty)); // a new link: the same principal's quota
            Assert.Equal(ProtocolErrorCode.QuotaExceeded, (await alice.ExpectErrorAsync()).Code);
        }

        await using RawSyncSocket bob = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "bob");
        await bob.SendAsync(TimelineSecrets.Open("doc-3", TimelineId.New(), LsnRange.Empty));
        await bob.ExpectAsync<DocumentOpenedMessage>();
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnAnonymousAddressClaimsAtMostItsQuotaOfTimelines()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.MaxTimelinesClaimedPerHour = 3);
        var timelines = new List<TimelineId>();
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            for (int i = 0; i < 3; i++)
            {
                timelines.Add(TimelineId.New());
                await raw.SendAsync(TimelineSecrets.Open("counters", timelines[i], LsnRange.Empty));
                await raw.ExpectAsync<DocumentOpenedMessage>();
                await raw.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 1))); // the first upload claims
                await raw.ExpectAsync<TimelineAckMessage>();
            }

            await raw.SendAsync(TimelineSecrets.Open("counters", timelines[0], LsnRange.Empty)); // owned already: not counted
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(new Lsn(1), 1)));
            await raw.ExpectAsync<TimelineAckMessage>();
        }

        // Another connection from the same address is the same anonymous principal: it may open, not claim.
        var refused = TimelineId.New();
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(TimelineSecrets.Open("counters", refused, LsnRange.Empty));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 1)));
            ErrorMessage error = await raw.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.QuotaExceeded, error.Code);
            Assert.Contains("3 timelines this hour", error.Message);
        }

        Assert.Equal(3, Directory.GetFiles(Path.Combine(ServerDirectory, "counters", "owners")).Length);
        Assert.True(server.Document("counters").GetTimelineRange(refused).IsEmpty);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task UploadsOverThePrincipalsBytesPerMinuteCloseTheLinkWithQuotaExceeded()
    {
        const long limit = 4_000;
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.MaxUploadBytesPerMinute = limit);
        var timeline = TimelineId.New();
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await raw.SendAsync(TimelineSecrets.Open("counters", timeline, LsnRange.Empty));
        await raw.ExpectAsync<DocumentOpenedMessage>();
        long accepted = 0;
        var next = Lsn.Zero;
        ErrorMessage? error = null;
        for (int i = 0; i < 100 && error is null; i++)
        {
            JournalPartial entries = RawSyncSocket.AddEntries(next, 10, "quota");
            await raw.SendAsync(new TimelineEntriesMessage("counters", entries));
            SyncMessage? reply;
            do
            {
                reply = await raw.ReceiveAsync(); // storage pushed meanwhile is skipped (and never acknowledged: one stays in flight)
            }
            while (reply is StorageEntriesMessage or StorageEntryPartMessage);

            if (reply is ErrorMessage refused)
            {
                error = refused;
                Assert.True(accepted + entries.ByteCount > limit, $"refused after {accepted} bytes, under the limit");
                Assert.Null(await raw.ReceiveAsync()); // then closed
                break;
            }

            Assert.IsType<TimelineAckMessage>(reply);
            accepted += entries.ByteCount;
            next = new Lsn(next.Value + 10);
            Assert.True(accepted <= limit, $"{accepted} bytes accepted over a limit of {limit}");
        }

        Assert.NotNull(error);
        Assert.Equal(ProtocolErrorCode.QuotaExceeded, error.Code);
        Assert.Contains($"{limit} bytes this minute", error.Message);
        Assert.Equal(next, server.Document("counters").GetTimelineRange(timeline).Next); // nothing of the refused message was kept

        // The quota is the principal's, not the link's: a new connection is refused too, within the minute.
        await using RawSyncSocket again = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await again.SendAsync(TimelineSecrets.Open("counters", timeline, LsnRange.Empty));
        await again.ExpectAsync<DocumentOpenedMessage>();
        await again.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(next, 10, "quota")));
        Assert.Equal(ProtocolErrorCode.QuotaExceeded, (await again.ExpectErrorAsync()).Code);
    }

    /// <summary>The bearer token is the principal, and every principal reads and writes.</summary>
    private static void AnyTokenWrites(SqlSyncServerOptions options)
    {
        options.GetPrincipal = context => context.Request.Headers.Authorization.ToString() is { Length: > 7 } header ? header[7..] : null;
        options.Authorize = (_, _) => DocumentAccess.ReadWrite;
    }
}
