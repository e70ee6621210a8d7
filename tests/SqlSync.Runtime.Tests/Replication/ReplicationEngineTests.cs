using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Replication;

public sealed class ReplicationEngineTests
{
    private static LocalDocument Client(string id = "replicated") =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = Reducer });

    [Fact]
    [Trait("Category", "Replication")]
    public void TwoClientsConvergeThroughTheEngines()
    {
        using var coordinators = new TestCoordinators();
        var server = new ReplicationServer(coordinators);
        using var a = Client();
        using var b = Client();
        var clientA = new ReplicationClient("a");
        clientA.AddDocument(a);
        var clientB = new ReplicationClient("b");
        clientB.AddDocument(b);
        var pumpA = new ReplicationPump(clientA, server.CreateLink(LinkIdentity.Anonymous));
        var pumpB = new ReplicationPump(clientB, server.CreateLink(LinkIdentity.Anonymous));
        pumpA.Connect();
        pumpB.Connect();

        a.Mutate(new CreateSchema());
        for (int i = 0; i < 20; i++)
        {
            a.Mutate(new Insert(i, $"a{i}", i));
        }

        pumpA.RunUntilQuiet();
        pumpB.RunUntilQuiet(); // b receives a's rows
        b.Mutate(new AddQuantity(3, 100));
        pumpB.RunUntilQuiet();
        pumpA.RunUntilQuiet();

        CoordinatorDocument coordinator = coordinators.GetDocument("replicated");
        Assert.Equal(0, a.PendingMutationCount);
        Assert.Equal(0, b.PendingMutationCount);
        Assert.Equal(coordinator.StorageChecksum, a.StorageChecksum);
        Assert.Equal(coordinator.StorageChecksum, b.StorageChecksum);
        Assert.Equal(290L, b.QueryScalar<long>("SELECT sum(qty) FROM items"));
        Assert.True(clientA.IsUploaded("replicated"));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void UploadsAndDownloadsAreSplitByBytes()
    {
        using var coordinators = new TestCoordinators();
        var options = new ReplicationOptions { MaxEntryBytesPerMessage = 256 };
        var server = new ReplicationServer(coordinators, options);
        using var a = Client("split");
        var client = new ReplicationClient("a", options);
        client.AddDocument(a);
        var pump = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        a.Mutate(new CreateSchema());
        for (int i = 0; i < 100; i++)
        {
            a.Mutate(new Insert(i, new string('x', 50), i));
        }

        pump.RunUntilQuiet();
        Assert.True(pump.Frames > 40, $"expected many small frames, saw {pump.Frames}");
        Assert.Equal(0, a.PendingMutationCount);
        Assert.Equal(coordinators.GetDocument("split").StorageChecksum, a.StorageChecksum);
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void AReconnectResumesFromTheServersRange()
    {
        using var coordinators = new TestCoordinators { StepImmediately = false };
        var server = new ReplicationServer(coordinators);
        using var a = Client("resume");
        var client = new ReplicationClient("a");
        client.AddDocument(a);
        var pump = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        a.Mutate(new CreateSchema());
        a.Mutate(new Insert(1, "one", 1));
        pump.RunUntilQuiet();
        Assert.Equal(2, a.PendingMutationCount); // uploaded, not applied yet

        client.Disconnect();
        a.Mutate(new Insert(2, "two", 2));
        coordinators.GetDocument("resume").StepAll();
        var again = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous));
        again.Connect();
        coordinators.StepImmediately = true;
        again.RunUntilQuiet();

        Assert.Equal(0, a.PendingMutationCount);
        Assert.Equal(3L, a.QueryScalar<long>("SELECT sum(qty) FROM items"));
        Assert.Equal(3L, (long)coordinators.GetDocument("resume").Query("SELECT sum(qty) FROM items")[0][0]!);
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void ProtocolViolationsAreErrorsAndReachNoJournal()
    {
        using var coordinators = new TestCoordinators();
        var server = new ReplicationServer(coordinators);
        var identity = new LinkIdentity("alice", id => id == "secret" ? DocumentAccess.Denied : id == "readonly" ? DocumentAccess.ReadOnly : DocumentAccess.ReadWrite);
        var hello = new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, "test");

        ServerLink link = server.CreateLink(identity);
        Assert.Equal(ProtocolErrorCode.UnexpectedMessage, CodeOf(() => link.Handle(new StorageAckMessage("doc", default))));

        link = server.CreateLink(identity);
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, CodeOf(() => link.Handle(hello with { MinVersion = 1, MaxVersion = SyncProtocol.Version - 1 })));

        link = server.CreateLink(identity);
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, CodeOf(() => link.Handle(hello with { MinVersion = SyncProtocol.Version + 1, MaxVersion = SyncProtocol.Version + 2 })));

        link = server.CreateLink(identity);
        link.Handle(hello);
        Assert.Equal(ProtocolErrorCode.AccessDenied, CodeOf(() => link.Handle(new OpenDocumentMessage("secret", SqlSync.Mutations.TimelineId.New(), default, TimelineSecrets.For(SqlSync.Mutations.TimelineId.New())))));
        Assert.Equal(ProtocolErrorCode.UnknownDocument, CodeOf(() => link.Handle(new OpenDocumentMessage("bad id!", SqlSync.Mutations.TimelineId.New(), default, TimelineSecrets.For(SqlSync.Mutations.TimelineId.New())))));

        var readOnly = SqlSync.Mutations.TimelineId.New();
        // A reader does not create a document: refused on its own (the link goes on) until a writer created it (decision 0016).
        Assert.Equal(ProtocolErrorCode.DocumentNotFound, CodeOf(() => link.Handle(new OpenDocumentMessage("readonly", readOnly, default, TimelineSecrets.For(readOnly)))));
        Assert.False(coordinators.Exists("readonly"));
        coordinators.GetDocument("readonly");
        link.Handle(new OpenDocumentMessage("readonly", readOnly, default, TimelineSecrets.For(readOnly)));
        var entries = new SqlSync.Journals.JournalPartial(SqlSync.Journals.LsnRange.Inclusive(default, default), new ReadOnlyMemory<byte>[] { new byte[] { 1, 2, 3 } });
        Assert.Equal(ProtocolErrorCode.AccessDenied, CodeOf(() => link.Handle(new TimelineEntriesMessage("readonly", entries))));
        Assert.True(coordinators.GetDocument("readonly").GetTimelineRange(readOnly).IsEmpty);

        var mine = SqlSync.Mutations.TimelineId.New();
        link.Handle(new OpenDocumentMessage("doc", mine, default, TimelineSecrets.For(mine)));
        var gap = new SqlSync.Journals.JournalPartial(SqlSync.Journals.LsnRange.Inclusive(new(5), new(5)), new ReadOnlyMemory<byte>[] { new byte[] { 1 } });
        Assert.Equal(ProtocolErrorCode.LsnOutOfRange, CodeOf(() => link.Handle(new TimelineEntriesMessage("doc", gap))));
        Assert.Equal(ProtocolErrorCode.LsnOutOfRange, CodeOf(() => link.Handle(new StorageAckMessage("doc", SqlSync.Journals.LsnRange.Inclusive(default, new(99))))));
        Assert.True(coordinators.GetDocument("doc").GetTimelineRange(mine).IsEmpty);

        Assert.Equal(ProtocolErrorCode.LsnOutOfRange, CodeOf(() => link.Handle(new OpenDocumentMessage("never-created", SqlSync.Mutations.TimelineId.New(), SqlSync.Journals.LsnRange.Inclusive(default, new(3)), TimelineSecrets.For(SqlSync.Mutations.TimelineId.New())))));
        Assert.False(coordinators.Exists("never-created")); // the refused open created nothing

        link.Handle(new TimelineEntriesMessage("doc", entries)); // the first upload claims the timeline for alice
        ServerLink mallory = server.CreateLink(new LinkIdentity("mallory", _ => DocumentAccess.ReadWrite));
        mallory.Handle(hello);
        Assert.Equal(ProtocolErrorCode.TimelineForgery, CodeOf(() => mallory.Handle(new OpenDocumentMessage("doc", mine, default, TimelineSecrets.For(mine)))));
    }

    private static ProtocolErrorCode CodeOf(Action action)
    {
        var error = Assert.Throws<SqlSyncException>(action);
        Assert.Equal(SqlSyncErrorCode.Protocol, error.Code);
        return (ProtocolErrorCode)error.Data[nameof(ProtocolErrorCode)]!;
    }
}
