using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>
/// Links at the same position share one storage message (read from the journal once, encoded once), and
/// a shared message never hides entries a later step appended.
/// </summary>
public sealed class StorageMessageSharingTests
{
    private static readonly HelloMessage Hello = new(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, "test");

    [Fact]
    [Trait("Category", "Replication")]
    public void LinksAtTheSamePositionShareOneMessageAndOneFrame()
    {
        using var coordinators = new TestCoordinators { StepImmediately = false };
        var server = new ReplicationServer(coordinators);
        CoordinatorDocument coordinator = coordinators.GetDocument("shared");
        using var writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "shared", Reducer = Reducer });
        writer.Mutate(new CreateSchema());
        writer.Mutate(new Insert(1, "one", 1));
        Upload(coordinator, writer);

        StorageEntriesMessage first = OpenFresh(server);
        StorageEntriesMessage second = OpenFresh(server);
        Assert.Same(first, second);
        Assert.Same(SyncMessageCodec.Encode(first), SyncMessageCodec.Encode(second));
        Assert.Equal(coordinator.StorageRange, first.Entries.Range);

        // A step appends: a link that opens now must get the new entry too, not the message cached before it.
        writer.Mutate(new Insert(2, "two", 2));
        Upload(coordinator, writer);
        StorageEntriesMessage third = OpenFresh(server);
        Assert.NotSame(first, third);
        Assert.Equal(coordinator.StorageRange, third.Entries.Range);

        // The shared frame decodes to the entries the coordinator holds.
        var decoded = (StorageEntriesMessage)SyncMessageCodec.Decode(SyncMessageCodec.Encode(third));
        Assert.Equal(third.Entries.Range, decoded.Entries.Range);
        for (int i = 0; i < decoded.Entries.Entries.Count; i++)
        {
            Assert.Equal(third.Entries.Entries[i].ToArray(), decoded.Entries.Entries[i].ToArray());
        }
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void AnAcknowledgementAfterAStepGetsTheNewEntries()
    {
        using var coordinators = new TestCoordinators { StepImmediately = false };
        var server = new ReplicationServer(coordinators);
        CoordinatorDocument coordinator = coordinators.GetDocument("acked");
        using var writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "acked", Reducer = Reducer });
        writer.Mutate(new CreateSchema());
        Upload(coordinator, writer);

        ServerLink a = server.CreateLink(LinkIdentity.Anonymous);
        ServerLink b = server.CreateLink(LinkIdentity.Anonymous);
        StorageEntriesMessage initial = Open(a, "acked");
        Assert.Same(initial, Open(b, "acked"));

        writer.Mutate(new Insert(7, "seven", 7));
        Upload(coordinator, writer);
        var fromA = Assert.IsType<StorageEntriesMessage>(Assert.Single(a.Handle(new StorageAckMessage("acked", initial.Entries.Range))));
        var fromB = Assert.IsType<StorageEntriesMessage>(Assert.Single(b.Handle(new StorageAckMessage("acked", initial.Entries.Range))));
        Assert.Same(fromA, fromB);
        Assert.Equal(initial.Entries.Range.Next, fromA.Entries.Range.First);
        Assert.Equal(coordinator.StorageRange.Next, fromA.Entries.Range.Next);

        // Caught up: nothing more to send.
        Assert.Empty(a.Handle(new StorageAckMessage("acked", LsnRange.Inclusive(default, fromA.Entries.Range.Last))));
    }

    private static void Upload(CoordinatorDocument coordinator, LocalDocument writer)
    {
        JournalPartial partial = writer.PrepareTimelineSync(coordinator.GetTimelineRange(writer.TimelineId))!;
        coordinator.ReceiveTimeline(writer.TimelineId, partial);
        coordinator.StepAll();
    }

    private static StorageEntriesMessage OpenFresh(ReplicationServer server, string documentId = "shared") =>
        Open(server.CreateLink(LinkIdentity.Anonymous), documentId);

    private static StorageEntriesMessage Open(ServerLink link, string documentId)
    {
        link.Handle(Hello);
        IReadOnlyList<SyncMessage> replies = link.Handle(new OpenDocumentMessage(documentId, TimelineId.New(), default, TimelineSecrets.For(TimelineId.New())));
        return Assert.IsType<StorageEntriesMessage>(replies[1]);
    }
}
