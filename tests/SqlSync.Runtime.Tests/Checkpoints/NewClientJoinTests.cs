using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Runtime.Tests.Replication;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// Decision 0042: a new client joins from the server's newest checkpoint even while the entries before it are kept
/// (a retention not yet over, or none); a memory client declines it and takes the entries; a client that holds some
/// storage, or whose download failed, takes the entries while they are kept.
/// </summary>
public sealed class NewClientJoinTests : IDisposable
{
    private const string Id = "newjoin";
    private readonly CheckpointServer _host = new(Id, new ReplicationOptions { MaxEntryBytesPerMessage = 64 * 1024 }, compact: false);
    private readonly LocalDocument _writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });
    private readonly ReplicationPump _writerPump;

    public NewClientJoinTests()
    {
        var client = new ReplicationClient("writer");
        client.AddDocument(_writer);
        _writerPump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous));
        _writerPump.Connect();
    }

    private CoordinatorDocument Coordinator => _host.Coordinator;

    /// <summary>A 300-row table updated <paramref name="updates"/> times: a history several times its database.</summary>
    private void Write(int updates, bool fill = true)
    {
        if (fill)
        {
            _writer.Mutate(new CreateSchema());
            _writer.Mutate(new Fill(1, 300, 1000));
            _writerPump.RunUntilQuiet();
        }

        for (int i = 0; i < updates; i++)
        {
            _writer.Mutate(new AddQuantity(1 + (i % 300), 1));
            _writerPump.RunUntilQuiet();
        }
    }

    private async Task<Lsn> CheckpointKeepingEntriesAsync()
    {
        await Coordinator.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(Lsn.Zero, Coordinator.StorageRange.First); // every entry is still kept
        return Coordinator.NewestCheckpointLsn!.Value;
    }

    /// <summary>Syncs <paramref name="document"/> on a new link until nothing moves, counting the checkpoint slices it was sent.</summary>
    private (ReplicationPump Pump, int Slices) Sync(LocalDocument document, Func<SyncMessage, SyncMessage>? toServer = null, Func<SyncMessage, SyncMessage>? toClient = null)
    {
        int slices = 0;
        var client = new ReplicationClient(document.DocumentId + "-joiner");
        client.AddDocument(document);
        var pump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous))
        {
            AlterToServer = toServer,
            AlterToClient = m =>
            {
                slices += m is CheckpointChunkMessage { Bytes.Length: > 0 } ? 1 : 0;
                return toClient?.Invoke(m) ?? m;
            },
        };
        pump.Connect();
        pump.RunUntilQuiet();
        return (pump, slices);
    }

    private void AssertConverged(LocalDocument document)
    {
        Assert.Equal(Coordinator.StorageChecksum, document.StorageChecksum);
        Assert.Equal(Coordinator.StorageRange.Next, document.StorageRange.Next);
        Assert.Equal(Convert.ToInt64(Coordinator.Query("SELECT sum(qty) FROM items")[0][0]), document.QueryScalar<long>("SELECT sum(qty) FROM items"));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ANewClientTakesTheCheckpointAndTheTailWhileEveryEntryIsKeptAndAMemoryClientTheEntries()
    {
        Write(updates: 200);
        Lsn checkpoint = await CheckpointKeepingEntriesAsync();
        Write(updates: 5, fill: false);

        using LocalDocument fresh = _host.Client("fresh");
        fresh.Mutate(new CreateSchema()); // pending before it ever synced: rebased on top of the checkpoint
        fresh.Mutate(new Insert(100_000, "made before the first sync", 5));
        (ReplicationPump filePump, int slices) = Sync(fresh);
        AssertConverged(fresh);
        Assert.Equal(checkpoint, fresh.NewestCheckpointLsn);
        Assert.True(slices > 1, $"{slices} checkpoint slices");
        Assert.Equal(0, fresh.PendingMutationCount);
        Assert.Equal(5L, fresh.QueryScalar<long>("SELECT qty FROM items WHERE id = 100000"));

        // A memory client cannot take a checkpoint: it declines the offer and takes every entry, on the same link.
        using LocalDocument memory = LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });
        (_, int memorySlices) = Sync(memory);
        AssertConverged(memory);
        Assert.Equal(0, memorySlices);
        Assert.Null(memory.NewestCheckpointLsn);
        // What the new client downloaded is bounded by the database (the checkpoint file, the tail), not the history.
        long checkpointBytes = Directory.GetFiles(Path.Combine(_host.Temp.Sub("fresh"), "checkpoints"), "*.ckpt").Select(f => new FileInfo(f).Length).Single();
        Assert.True(filePump.Bytes < checkpointBytes + 64 * 1024, $"{filePump.Bytes} bytes on the wire for a checkpoint of {checkpointBytes}");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AClientThatHoldsStorageBehindTheCheckpointTakesTheKeptEntries()
    {
        Write(updates: 3);
        using LocalDocument behind = _host.Client("behind");
        Sync(behind);
        Assert.False(behind.StorageRange.IsEmpty);

        Write(updates: 100, fill: false);
        await CheckpointKeepingEntriesAsync();
        (_, int slices) = Sync(behind);
        AssertConverged(behind);
        Assert.Equal(0, slices);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ANewClientWhoseDownloadFailsValidationTakesTheKeptEntriesOnTheSameLink()
    {
        Write(updates: 50);
        await CheckpointKeepingEntriesAsync();
        using LocalDocument fresh = _host.Client("damaged");
        (ReplicationPump pump, _) = Sync(fresh, toClient: CheckpointServer.DamageLastSlice);
        AssertConverged(fresh);
        Assert.Equal(1, pump.CorruptCheckpointReports);
        Assert.Null(fresh.NewestCheckpointLsn);
        Assert.Empty(Directory.GetFiles(Path.Combine(_host.Temp.Sub("damaged"), "checkpoints"), "*.part"));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ACheckpointTheServerFoundCorruptIsNotOfferedToNewClientsWhileEntriesAreKept()
    {
        // Found by a review: every new client downloaded the whole known-corrupt file, then fell back to the entries.
        Write(updates: 50);
        await CheckpointKeepingEntriesAsync();
        CheckpointServer.FlipByte(_host.ServerCheckpoint(), 3 * 4096 + 17); // a byte of page 3: the header reads, the page's hash fails

        using LocalDocument first = _host.Client("first");
        Sync(first); // downloads it, reports it; the server finds its own copy corrupt; the entries follow
        AssertConverged(first);
        Assert.Equal(1, Coordinator.CorruptCheckpointsFound);

        using LocalDocument second = _host.Client("second");
        (_, int slices) = Sync(second);
        AssertConverged(second);
        Assert.Equal(0, slices);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ADeclineOtherThanTheAnswerToAnOfferIsAProtocolError()
    {
        Write(updates: 50);
        await CheckpointKeepingEntriesAsync();
        using LocalDocument fresh = _host.Client("hostile");
        int acks = 0;
        var refused = Assert.Throws<SqlSyncException>(() => Sync(fresh, toServer: m =>
            m is CheckpointAckMessage ack && ++acks == 2 ? ack with { Received = CheckpointAckMessage.Declined } : m)); // a slice's ack
        Assert.Equal(ProtocolErrorCode.UnexpectedMessage, ProtocolException.CodeOf(refused));
        Assert.Contains("declined", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ADeclineCrossesTheWire()
    {
        var declined = new CheckpointAckMessage(Id, new Lsn(42), CheckpointAckMessage.Declined);
        Assert.Equal(declined, SyncMessageCodec.Decode(SyncMessageCodec.Encode(declined)));
    }

    public void Dispose()
    {
        _writer.Dispose();
        _host.Dispose();
    }
}
