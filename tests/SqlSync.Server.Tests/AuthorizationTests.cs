using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>The authorization hook and timeline ownership, over real connections (TestServer.TokenAuthorization).</summary>
public sealed class AuthorizationTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Integration")]
    public async Task ADeniedDocumentClosesTheLinkWithAccessDeniedAndGetsNothing()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        using var secret = Client("alice", "secret");
        secret.CreateSchema();
        secret.Add("stolen", 1);
        await using SqlSyncClient sync = Connect(server.SyncUri, secret, token: "writer-alice");

        await Eventually.TrueAsync(() => sync.LastError is not null, "the server refused the document");
        var error = Assert.IsType<SqlSyncException>(sync.LastError);
        Assert.Equal(SqlSyncErrorCode.Protocol, error.Code);
        Assert.Contains(nameof(ProtocolErrorCode.AccessDenied), error.Message);
        Assert.Equal(ProtocolErrorCode.AccessDenied, error.Data[nameof(ProtocolErrorCode)]);
        Assert.Equal(2, secret.PendingMutationCount);
        Assert.True(secret.StorageRange.IsEmpty);
        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "secret")), "the denied document was never opened on the server");
        await Eventually.TrueAsync(() => server.Logs.Lines.Any(l => l.Message.Contains("closed for a protocol error") && l.Message.Contains("AccessDenied")),
            "the server logged the refusal");

        // Frame level: the same refusal as an error frame, then a close.
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "writer-bob");
        await raw.SendAsync(new OpenDocumentMessage("secret", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())));
        ErrorMessage frame = await raw.ExpectErrorAsync();
        Assert.Equal(ProtocolErrorCode.AccessDenied, frame.Code);
        Assert.Equal("secret", frame.DocumentId);
        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "secret")));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task AReadOnlyClientReceivesButItsLocalMutationsNeverReachTheServer()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        using var writer = Client("writer");
        using var reader = Client("reader");
        writer.CreateSchema();
        writer.Add("shared", 5);
        CoordinatorDocument coordinator = server.Document("counters");
        await using SqlSyncClient writerSync = Connect(server.SyncUri, writer, token: "writer-walt");
        await using SqlSyncClient readerSync = Connect(server.SyncUri, reader, token: "reader");
        await ConvergedAsync(writer, coordinator, "the writer");
        await Eventually.TrueAsync(() => reader.StorageRange.Next == coordinator.StorageRange.Next, "the reader received the writer's storage");

        reader.Add("shared", 1000); // applied locally, optimistic
        Assert.Equal(1005L, Value(reader, "shared"));
        writer.Add("shared", 2);
        await ConvergedAsync(writer, coordinator, "the writer");
        await Eventually.TrueAsync(() => reader.StorageRange.Next == coordinator.StorageRange.Next, "the reader received the writer's newer storage");

        Assert.Equal(7L, Value(coordinator, "shared"));
        Assert.Equal(7L, Value(writer, "shared"));
        Assert.Equal(1007L, Value(reader, "shared")); // its own mutation is still pending on top
        Assert.Equal(1, reader.PendingMutationCount);
        Assert.True(coordinator.GetTimelineRange(reader.TimelineId).IsEmpty, "the server holds nothing of the reader's timeline");
        Assert.False(coordinator.GetAppliedLsns().ContainsKey(reader.TimelineId));
        Assert.Equal(coordinator.StorageChecksum, reader.StorageChecksum);
        Assert.Equal(1, readerSync.ConnectionCount); // the link stayed up: the client simply never uploads
        Assert.Contains("read-only", Assert.IsType<SqlSyncException>(readerSync.LastError).Message); // and says so
        Assert.False(readerSync.IsUploaded(reader));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task AReadOnlyLinkThatSendsTimelineEntriesIsClosedWithAccessDeniedAndNothingReachesTheJournal()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        using var writer = Client("writer");
        writer.CreateSchema();
        writer.Add("shared", 5);
        CoordinatorDocument coordinator = server.Document("counters");
        await using SqlSyncClient writerSync = Connect(server.SyncUri, writer, token: "writer-walt");
        await ConvergedAsync(writer, coordinator, "the writer");
        LsnRange storageBefore = coordinator.StorageRange;
        ulong checksumBefore = coordinator.StorageChecksum;

        var timeline = TimelineId.New();
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "reader");
        await raw.SendAsync(new OpenDocumentMessage("counters", timeline, LsnRange.Empty, TimelineSecrets.For(timeline)));
        DocumentOpenedMessage opened = await raw.ExpectAsync<DocumentOpenedMessage>();
        Assert.Equal(DocumentAccess.ReadOnly, opened.Access);
        Assert.True(opened.TimelineRange.IsEmpty);
        await raw.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 3, "shared")));
        ErrorMessage error = await raw.ExpectErrorAsync();
        Assert.Equal(ProtocolErrorCode.AccessDenied, error.Code);
        Assert.Equal("counters", error.DocumentId);

        Assert.True(coordinator.GetTimelineRange(timeline).IsEmpty);
        Assert.False(Directory.Exists(Path.Combine(ServerDirectory, "counters", "timelines", timeline.ToString())));
        Assert.Equal(storageBefore, coordinator.StorageRange);
        Assert.Equal(checksumBefore, coordinator.StorageChecksum);
        Assert.Equal(5L, Value(coordinator, "shared"));
        Assert.Contains(server.Logs.Lines, l => l.Message.Contains("closed for a protocol error") && l.Message.Contains("AccessDenied"));

        // The writer is still served.
        writer.Add("shared", 1);
        await ConvergedAsync(writer, coordinator, "the writer");
        Assert.Equal(6L, Value(coordinator, "shared"));
        Assert.Equal(1, writerSync.ConnectionCount);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task AForgedTimelineIdIsRefusedWithTimelineForgery()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, TestServer.TokenAuthorization);
        using var alice = Client("alice");
        alice.CreateSchema();
        alice.Add("alice", 1);
        CoordinatorDocument coordinator = server.Document("counters");
        await using SqlSyncClient aliceSync = Connect(server.SyncUri, alice, token: "writer-alice");
        await Eventually.TrueAsync(() => aliceSync.IsUploaded(alice), "alice uploaded her timeline");
        await ConvergedAsync(alice, coordinator, "alice");
        LsnRange aliceRange = coordinator.GetTimelineRange(alice.TimelineId);
        LsnRange storageBefore = coordinator.StorageRange;

        // Bob opens the document with alice's timeline id (he learned it somehow) and would append to it.
        await using (RawSyncSocket bobRaw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "writer-bob"))
        {
            await bobRaw.SendAsync(new OpenDocumentMessage("counters", alice.TimelineId, LsnRange.Empty, TimelineSecrets.For(alice.TimelineId)));
            await bobRaw.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(aliceRange.Next, 2, "alice")));
            ErrorMessage error = await bobRaw.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.TimelineForgery, error.Code);
            Assert.Equal("counters", error.DocumentId);
        }

        // Bob's own client whose replica carries alice's timeline id (a copied timeline.id file) is refused too.
        string bobDirectory = Path.Combine(Root, "clients", "bob", "counters");
        Directory.CreateDirectory(bobDirectory);
        await File.WriteAllTextAsync(Path.Combine(bobDirectory, "timeline.id"), alice.TimelineId.ToString());
        using var bob = Client("bob");
        Assert.Equal(alice.TimelineId, bob.TimelineId);
        bob.CreateSchema();
        bob.Add("alice", 100);
        await using (SqlSyncClient bobSync = Connect(server.SyncUri, bob, token: "writer-bob"))
        {
            await Eventually.TrueAsync(() => bobSync.LastError is not null, "the server refused bob's client");
            var refused = Assert.IsType<SqlSyncException>(bobSync.LastError);
            Assert.Equal(SqlSyncErrorCode.Protocol, refused.Code);
            Assert.Contains(nameof(ProtocolErrorCode.TimelineForgery), refused.Message);
        }

        Assert.Equal(aliceRange, coordinator.GetTimelineRange(alice.TimelineId));
        Assert.Equal(storageBefore, coordinator.StorageRange);
        Assert.Equal(1L, Value(coordinator, "alice"));
        Assert.Contains(server.Logs.Lines, l => l.Message.Contains("TimelineForgery"));

        // Alice keeps syncing on her link; her own later edits still go through.
        alice.Add("alice", 1);
        await ConvergedAsync(alice, coordinator, "alice");
        Assert.Equal(2L, Value(coordinator, "alice"));
        Assert.Equal(1, aliceSync.ConnectionCount);
    }
}
