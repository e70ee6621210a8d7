using Microsoft.AspNetCore.Http;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Timeline ownership by secret, read-only principals that leave nothing behind, and the read-only client's
/// report (issue 13, cases 1 and 8; docs/decisions/0011-timeline-secrets-and-quotas.md).
/// </summary>
public sealed class OwnershipTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnAnonymousClientCannotHijackATimelineItReadFromItsReplicaAndTheVictimLosesNothing()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        CoordinatorDocument coordinator = server.Document("counters");
        using var victim = Client("victim");
        using var attacker = Client("attacker");
        victim.CreateSchema();
        victim.Add("victim", 1);
        await using (SqlSyncClient victimSync = Connect(server, victim))
        {
            await ConvergedAsync(victim, coordinator, "the victim");
        }

        // Offline, the victim goes on; the server has not seen these yet.
        victim.Add("victim", 10);
        victim.Add("victim", 100);

        // The attacker syncs and reads the victim's timeline id from its own replica.
        await using (SqlSyncClient attackerSync = Connect(server, attacker))
        {
            await Eventually.TrueAsync(() => attacker.StorageRange == coordinator.StorageRange, "the attacker received the storage");
        }

        string victimTimeline = attacker.QueryScalar<string>("SELECT timeline_id FROM __sqlsync_timelines WHERE timeline_id <> ?1", attacker.TimelineId.ToString())!;
        Assert.Equal(victim.TimelineId.ToString(), victimTimeline);
        LsnRange held = coordinator.GetTimelineRange(victim.TimelineId);

        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(new OpenDocumentMessage("counters", TimelineId.Parse(victimTimeline), coordinator.StorageRange, TimelineSecret.New()));
            await raw.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(held.Next, 2, "victim")));
            ErrorMessage error = await raw.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.TimelineForgery, error.Code);
            Assert.Equal("counters", error.DocumentId);
            Assert.Contains("another secret", error.Message);
        }

        Assert.Equal(held, coordinator.GetTimelineRange(victim.TimelineId));
        Assert.Equal(1L, Value(coordinator, "victim"));

        // The victim reconnects: its offline mutations upload and apply.
        await using (SqlSyncClient victimSync = Connect(server, victim))
        {
            await ConvergedAsync(victim, coordinator, "the victim");
            Assert.Null(victimSync.LastError);
        }

        Assert.Equal(111L, Value(coordinator, "victim"));
        Assert.Equal(111L, Value(victim, "victim"));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AReaderThatOpensAWritersTimelineFirstClaimsNothingAndTheWriterIsServed()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, ReaderOrAnonymousWriter);
        CoordinatorDocument coordinator = server.Document("counters");
        using var writer = Client("writer");
        writer.CreateSchema();
        writer.Add("shared", 5); // offline: the server has never seen the writer's timeline

        await using (RawSyncSocket reader = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "reader"))
        {
            await reader.SendAsync(new OpenDocumentMessage("counters", writer.TimelineId, LsnRange.Empty, TimelineSecret.New()));
            DocumentOpenedMessage opened = await reader.ExpectAsync<DocumentOpenedMessage>();
            Assert.Equal(DocumentAccess.ReadOnly, opened.Access);
        }

        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "counters", "owners")), "the reader wrote no owner record");
        await using SqlSyncClient writerSync = Connect(server, writer); // anonymous writer
        await ConvergedAsync(writer, coordinator, "the writer");
        Assert.Equal(5L, Value(coordinator, "shared"));
        Assert.Null(writerSync.LastError);
        Assert.Single(Directory.GetFiles(Path.Combine(ServerDirectory, "counters", "owners")));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AReaderOpeningManyTimelinesCreatesNoOwnerFiles()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, ReaderOrAnonymousWriter);
        _ = server.Document("counters"); // it exists: a reader does not create documents (decision 0016)
        await using RawSyncSocket reader = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "reader");
        for (int i = 0; i < 300; i++)
        {
            await reader.SendAsync(new OpenDocumentMessage("counters", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
            Assert.Equal(DocumentAccess.ReadOnly, (await reader.ExpectAsync<DocumentOpenedMessage>()).Access);
        }

        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "counters", "owners")), "no owner files");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AReadOnlyClientReportsThatItsPendingMutationsCannotUpload()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        CoordinatorDocument coordinator = server.Document("counters");
        using var writer = Client("writer");
        using var reader = Client("reader");
        writer.CreateSchema();
        await using SqlSyncClient writerSync = Connect(server, writer, "writer-walt");
        await ConvergedAsync(writer, coordinator, "the writer");
        await using SqlSyncClient readerSync = Connect(server, reader, "reader");
        await Eventually.TrueAsync(() => reader.StorageRange == coordinator.StorageRange, "the reader received the schema");
        await Eventually.TrueAsync(() => readerSync.Status == SyncConnectionStatus.Connected, "the reader is connected");
        Assert.Null(readerSync.LastError);
        reader.Add("shared", 1);

        await Eventually.TrueAsync(() => readerSync.LastError is not null, "the read-only client reported its pending mutation");
        var error = Assert.IsType<SqlSyncException>(readerSync.LastError);
        Assert.Equal(ProtocolErrorCode.AccessDenied, error.Data[nameof(ProtocolErrorCode)]);
        Assert.Contains("'counters'", error.Message);
        Assert.Contains("read-only", error.Message);
        Assert.Contains("1 pending mutation(s) cannot upload", error.Message);
        await Eventually.TrueAsync(() => readerSync.Status == SyncConnectionStatus.Connected, "the read-only client is connected, not syncing forever");
        Assert.Equal(1, reader.PendingMutationCount);
        Assert.Equal(1, readerSync.ConnectionCount);
        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "counters", "owners", reader.TimelineId.ToString())));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnOwnerRecordOfThePreviousVersionIsBoundToItsPrincipalsSecretAtItsNextOpen()
    {
        using var alice = Client("alice");
        alice.CreateSchema();
        alice.Add("alice", 1);
        string record = Path.Combine(ServerDirectory, "counters", "owners", alice.TimelineId.ToString());
        int port;
        await using (var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization))
        {
            port = server.Port;
            await using SqlSyncClient sync = Connect(server, alice, "writer-alice");
            await ConvergedAsync(alice, server.Document("counters"), "alice");
        }

        await File.WriteAllTextAsync(record, "writer-alice"); // as the previous version wrote it: the principal alone
        await using (var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization, port))
        {
            CoordinatorDocument coordinator = server.Document("counters");

            // Another principal is still refused; alice's client binds its secret at its next open.
            await using (RawSyncSocket bob = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "writer-bob"))
            {
                await bob.SendAsync(new OpenDocumentMessage("counters", alice.TimelineId, LsnRange.Empty, TimelineSecret.New()));
                Assert.Equal(ProtocolErrorCode.TimelineForgery, (await bob.ExpectErrorAsync()).Code);
            }

            alice.Add("alice", 1);
            await using (SqlSyncClient sync = Connect(server, alice, "writer-alice"))
            {
                await Eventually.TrueAsync(() => alice.PendingMutationCount == 0 || sync.LastError is not null, "alice uploaded");
                Assert.Null(sync.LastError);
                await ConvergedAsync(alice, coordinator, "alice");
            }

            Assert.Equal(2L, Value(coordinator, "alice"));
            Assert.StartsWith("sqlsync-owner 2\n", await File.ReadAllTextAsync(record), StringComparison.Ordinal);

            // From now on alice's principal alone is not enough: the secret is needed too.
            await using RawSyncSocket thief = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "writer-alice");
            await thief.SendAsync(new OpenDocumentMessage("counters", alice.TimelineId, LsnRange.Empty, TimelineSecret.New()));
            ErrorMessage error = await thief.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.TimelineForgery, error.Code);
        }
    }

    /// <summary>Anonymous links read and write; the token "reader" reads only, as principal "reader".</summary>
    private static void ReaderOrAnonymousWriter(SqlSyncServerOptions options)
    {
        options.GetPrincipal = context => IsReader(context) ? "reader" : null;
        options.Authorize = (context, _) => IsReader(context) ? DocumentAccess.ReadOnly : DocumentAccess.ReadWrite;
    }

    private static bool IsReader(HttpContext context) => context.Request.Headers.Authorization.ToString() == "Bearer reader";
}
