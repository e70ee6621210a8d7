using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Runtime.Tests.Replication;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// Decision 0030: a window of storage messages (entries and checkpoint slices) in flight per document and link; a cut
/// in the middle of a window; a client that takes what a hostile server sends out of order or beyond any window.
/// </summary>
public sealed class StorageWindowTests : IDisposable
{
    private const string Id = "window";
    private const int Slice = 16 * 1024, Window = 3;
    private readonly CheckpointServer _host;

    public StorageWindowTests()
    {
        _host = new CheckpointServer(Id, new ReplicationOptions { MaxEntryBytesPerMessage = Slice, StorageMessagesInFlight = Window });
    }

    private CoordinatorDocument Coordinator => _host.Coordinator;

    private LocalDocument Client(string name) => _host.Client(name);

    /// <summary>A writer makes <paramref name="steps"/> small entries after a fill; with <paramref name="compact"/> the server then checkpoints and compacts.</summary>
    private async Task FillAsync(int steps, bool compact)
    {
        using LocalDocument writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });
        var client = new ReplicationClient("writer");
        client.AddDocument(writer);
        var pump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        writer.Mutate(new CreateSchema());
        writer.Mutate(new Fill(1, 200, 1000));
        pump.RunUntilQuiet();
        for (int i = 0; i < steps; i++)
        {
            writer.Mutate(new AddQuantity(1 + i, 1));
            pump.RunUntilQuiet();
        }

        if (compact)
        {
            await Coordinator.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(Coordinator.StorageRange.First > Lsn.Zero, "the server did not compact");
        }
    }

    private static SyncMessage Wire(SyncMessage message) => SyncMessageCodec.Decode(SyncMessageCodec.Encode(message));

    private static bool IsStorage(SyncMessage message) => message is StorageEntriesMessage or CheckpointChunkMessage or StorageEntryPartMessage { IsLast: true };

    /// <summary>Hello and open through <paramref name="link"/>: returns the server's replies to the open.</summary>
    private static List<SyncMessage> Open(ReplicationClient client, ServerLink link)
    {
        var toServer = new Queue<SyncMessage>(client.Connect());
        var replies = new List<SyncMessage>();
        while (toServer.TryDequeue(out SyncMessage? message))
        {
            foreach (SyncMessage reply in link.Handle(Wire(message)))
            {
                if (reply is WelcomeMessage or DocumentOpenedMessage)
                {
                    foreach (SyncMessage next in client.Handle(Wire(reply))) toServer.Enqueue(next);
                }
                else
                {
                    replies.Add(reply);
                }
            }
        }

        return replies;
    }

    /// <summary>Hands <paramref name="message"/> to the client and its answers to the server; returns the server's replies.</summary>
    private static List<SyncMessage> Deliver(ReplicationClient client, ServerLink link, SyncMessage message) =>
        client.Handle(Wire(message)).SelectMany(answer => link.Handle(Wire(answer))).ToList();

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task EntriesGoAWindowAtATimeAndEachAckLetsOneMoreGo()
    {
        await FillAsync(steps: 40, compact: false);
        using LocalDocument late = Client("entries");
        var client = new ReplicationClient("late");
        client.AddDocument(late);
        ServerLink link = _host.Server.CreateLink(LinkIdentity.Anonymous);

        var inFlight = new Queue<SyncMessage>(Open(client, link));
        Assert.Equal(Window, inFlight.Count(IsStorage)); // a full window at the open, no more
        Assert.Empty(link.Poll());
        int delivered = 0;
        while (inFlight.TryDequeue(out SyncMessage? message))
        {
            List<SyncMessage> more = Deliver(client, link, message);
            if (IsStorage(message))
            {
                delivered++;
                Assert.True(more.Count(IsStorage) <= 1, $"{more.Count(IsStorage)} messages for one ack");
                Assert.True(inFlight.Count(IsStorage) + more.Count(IsStorage) <= Window);
            }

            foreach (SyncMessage m in more) inFlight.Enqueue(m);
        }

        Assert.True(delivered > 2 * Window, $"{delivered} storage messages");
        Assert.Equal(Coordinator.StorageRange.Next, late.StorageRange.Next);
        Assert.Equal(Coordinator.StorageChecksum, late.StorageChecksum);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ACheckpointOfferGoesAloneThenAWindowOfSlicesAndTheJoinConverges()
    {
        await FillAsync(steps: 3, compact: true);
        using LocalDocument late = Client("checkpoint");
        var progress = new List<CheckpointDownloadProgress>();
        late.CheckpointDownloadProgress += (_, p) => progress.Add(p);
        var client = new ReplicationClient("late");
        client.AddDocument(late);
        ServerLink link = _host.Server.CreateLink(LinkIdentity.Anonymous);

        SyncMessage offer = Assert.Single(Open(client, link), IsStorage);
        Assert.Equal(0, ((CheckpointChunkMessage)offer).Bytes.Length);
        var inFlight = new Queue<SyncMessage>(Deliver(client, link, offer));
        Assert.Equal(Window, inFlight.Count);
        Assert.Equal(new long[] { 0, Slice, 2 * Slice }, inFlight.Cast<CheckpointChunkMessage>().Select(c => c.Offset));
        while (inFlight.TryDequeue(out SyncMessage? message))
        {
            foreach (SyncMessage m in Deliver(client, link, message)) inFlight.Enqueue(m);
            Assert.True(inFlight.Count(IsStorage) <= Window);
        }

        Assert.Equal(Coordinator.StorageRange.Next, late.StorageRange.Next);
        Assert.Equal(Coordinator.StorageChecksum, late.StorageChecksum);
        Assert.True(progress[^1].IsComplete);
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Second.BytesReceived >= p.First.BytesReceived), "progress went back");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ACutInTheMiddleOfAWindowLosesTheSlicesInFlightAndTheNextLinkResumesWhereTheClientStands()
    {
        await FillAsync(steps: 3, compact: true);
        using (LocalDocument late = Client("cut"))
        {
            var client = new ReplicationClient("cut");
            client.AddDocument(late);
            ServerLink link = _host.Server.CreateLink(LinkIdentity.Anonymous);
            SyncMessage offer = Assert.Single(Open(client, link), IsStorage);
            List<SyncMessage> window = Deliver(client, link, offer);
            List<SyncMessage> next = Deliver(client, link, window[0]); // one slice arrives; the rest of the window is lost
            Assert.Single(next); // its ack let one more go, lost too
            link.Close();
        }

        using LocalDocument again = Client("cut");
        var progress = new List<CheckpointDownloadProgress>();
        again.CheckpointDownloadProgress += (_, p) => progress.Add(p);
        var pump = new ReplicationPump(new ReplicationClient("cut"), _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Client.AddDocument(again);
        pump.Connect();
        pump.RunUntilQuiet();

        Assert.Equal(Coordinator.StorageChecksum, again.StorageChecksum);
        Assert.Equal(Slice, progress[0].BytesReceived); // the offer found the one slice held
        long total = progress[^1].TotalBytes;
        Assert.True(pump.Bytes < total - Slice + 16 * 1024, $"{pump.Bytes} bytes on the wire to finish {total - Slice}: slices were sent twice");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AClientThatHoldsLessThanASliceSaysRewindsTheServerOnceAndTheStaleAcksSendNothingTwice()
    {
        await FillAsync(steps: 3, compact: true);
        ServerLink link = _host.Server.CreateLink(LinkIdentity.Anonymous);
        using LocalDocument late = Client("rewind");
        var client = new ReplicationClient("rewind");
        client.AddDocument(late);
        var offer = (CheckpointChunkMessage)Assert.Single(Open(client, link), IsStorage);
        List<SyncMessage> window = link.Handle(new CheckpointAckMessage(Id, offer.Lsn, 0)).ToList();
        Assert.Equal(Window, window.Count);

        // A client (hostile or with a lost disk write) that took none of the window: each ack says 0 bytes held.
        var sent = new List<long>();
        foreach (SyncMessage _ in window)
        {
            sent.AddRange(link.Handle(new CheckpointAckMessage(Id, offer.Lsn, 0)).Cast<CheckpointChunkMessage>().Select(c => c.Offset));
        }

        Assert.Equal(new long[] { 0, Slice, 2 * Slice }, sent); // rewound once to 0, then on: nothing twice
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AHostileServerSendingSlicesOutOfOrderTwiceAndBeyondAnyWindowCannotCorruptTheJoin()
    {
        await FillAsync(steps: 3, compact: true);
        // Every slice of the checkpoint, read from an honest link that is answered as if the client held them all.
        ServerLink honest = _host.Server.CreateLink(LinkIdentity.Anonymous);
        var reader = new ReplicationClient("reader");
        using LocalDocument readerDocument = Client("reader");
        reader.AddDocument(readerDocument);
        var offer = (CheckpointChunkMessage)Assert.Single(Open(reader, honest), IsStorage);
        var slices = new List<CheckpointChunkMessage>();
        var queue = new Queue<SyncMessage>(honest.Handle(new CheckpointAckMessage(Id, offer.Lsn, 0)));
        while (queue.TryDequeue(out SyncMessage? m) && m is CheckpointChunkMessage chunk)
        {
            slices.Add(chunk);
            if (chunk.Offset + chunk.Bytes.Length < chunk.TotalBytes)
            {
                foreach (SyncMessage more in honest.Handle(new CheckpointAckMessage(Id, offer.Lsn, chunk.Offset + chunk.Bytes.Length))) queue.Enqueue(more);
            }
        }

        Assert.True(slices.Count > 4, $"{slices.Count} slices");
        Assert.Equal(offer.TotalBytes, slices[^1].Offset + slices[^1].Bytes.Length);

        // The hostile server: everything at once (no window), the second slice first, the first twice, the last early.
        using LocalDocument late = Client("hostile");
        var client = new ReplicationClient("late");
        client.AddDocument(late);
        ServerLink ignored = _host.Server.CreateLink(LinkIdentity.Anonymous);
        Open(client, ignored);
        var hostile = new List<CheckpointChunkMessage> { offer, slices[1], slices[0], slices[0], slices[^1], slices[2] };
        hostile.AddRange(slices.Skip(1));
        hostile.Add(slices[0]); // after the install: changes nothing
        hostile.Add(slices[^1]);
        var acks = hostile.Select(chunk => client.Handle(Wire(chunk)).Single()).ToList();

        Assert.Equal(new long[] { 0, 0, Slice, Slice, Slice, Slice }, acks.Take(6).Cast<CheckpointAckMessage>().Select(a => a.Received));
        StorageAckMessage installed = Assert.IsType<StorageAckMessage>(acks.First(a => a is StorageAckMessage));
        Assert.Equal(offer.Lsn.Next, installed.StorageRange.Next);
        Assert.Equal(offer.Lsn, late.NewestCheckpointLsn);
        Assert.Equal(Coordinator.Query("SELECT count(*) FROM items")[0][0], late.Query("SELECT count(*) FROM items")[0][0]);
        Assert.All(acks.SkipWhile(a => a is not StorageAckMessage), a => Assert.IsType<StorageAckMessage>(a)); // slices after the install change nothing
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task EntriesOutOfOrderOrBeyondAGapStopAtTheGapAndABatchIsAcknowledgedPerMessage()
    {
        await FillAsync(steps: 12, compact: false);
        JournalPartial all = Coordinator.PrepareStorageSync(LsnRange.EmptyAt(Lsn.Zero), long.MaxValue)!;
        int n = all.Entries.Count;
        ulong first = all.Range.First.Value;
        JournalPartial Part(int from, int count) =>
            new(LsnRange.Inclusive(new Lsn(first + (ulong)from), new Lsn(first + (ulong)(from + count - 1))), all.Entries.Skip(from).Take(count).ToArray());

        using LocalDocument late = Client("batch");
        int changes = 0;
        late.Changed += (_, _) => changes++;
        // A later message first (a gap: nothing taken), then the start twice, then the rest.
        IReadOnlyList<LsnRange> ranges = late.ReceiveStorageBatch(new[] { Part(4, 4), Part(0, 4), Part(0, 4), Part(4, n - 4) });

        Assert.Equal(new ulong[] { first, first + 4, first + 4, first + (ulong)n }, ranges.Select(r => r.Next.Value));
        Assert.Equal(1, changes); // one rebase for the batch
        Assert.Equal(Coordinator.StorageChecksum, late.StorageChecksum);
    }

    public void Dispose() => _host.Dispose();
}
