using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Runtime.Tests.Replication;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

public sealed class JoinFromCheckpointTests : IDisposable
{
    private const string Id = "join";
    private readonly CheckpointServer _host;
    private readonly List<string> _warnings = new();

    public JoinFromCheckpointTests()
    {
        _host = new CheckpointServer(Id, new ReplicationOptions { MaxEntryBytesPerMessage = 64 * 1024 }, message => { lock (_warnings) _warnings.Add(message); });
    }

    private CoordinatorDocument Coordinator => _host.Coordinator;

    private LocalDocument Client(string name) => _host.Client(name);

    /// <summary>A writer that fills the document (about 100 pages), then the server checkpoints and compacts.</summary>
    private async Task<Lsn> HistoryCompactedAsync(int tail)
    {
        using LocalDocument writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });
        var client = new ReplicationClient("writer");
        client.AddDocument(writer);
        var pump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        writer.Mutate(new CreateSchema());
        writer.Mutate(new Fill(1, 300, 1000));
        for (int i = 0; i < 50; i++)
        {
            writer.Mutate(new AddQuantity(1 + i, 1));
            pump.RunUntilQuiet();
        }

        await Coordinator.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Lsn checkpoint = Coordinator.NewestCheckpointLsn!.Value;
        Assert.True(Coordinator.StorageRange.First > Lsn.Zero, "the server did not compact");
        for (int i = 0; i < tail; i++)
        {
            writer.Mutate(new AddQuantity(2, 1));
            pump.RunUntilQuiet();
        }

        return checkpoint;
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ALateJoinerReceivesTheCheckpointThenTheTailAndItsOfflineMutationsRebaseOnTop()
    {
        Lsn checkpoint = await HistoryCompactedAsync(tail: 7);
        using LocalDocument late = Client("late");
        late.Mutate(new CreateSchema()); // pending before it ever synced
        late.Mutate(new Insert(100_000, "made offline", 5));
        var progress = new List<CheckpointDownloadProgress>();
        late.CheckpointDownloadProgress += (_, p) => progress.Add(p);
        ReplicationPump pump = SyncOnNewLink(late);

        Assert.Equal(Coordinator.StorageChecksum, late.StorageChecksum);
        Assert.Equal(Coordinator.StorageRange.Next, late.StorageRange.Next);
        Assert.Equal(0, late.PendingMutationCount);
        Assert.Equal(CheckpointServer.Rows(q => Coordinator.Query(q)), CheckpointServer.Rows(q => late.Query(q)));
        Assert.Equal(5L, (long)late.Query("SELECT qty FROM items WHERE id = 100000")[0][0]!);
        Assert.Equal(checkpoint, late.NewestCheckpointLsn);

        // Progress: several slices (64 KiB messages), growing, ending complete with every page.
        Assert.True(progress.Count > 3, $"{progress.Count} progress reports");
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Second.BytesReceived >= p.First.BytesReceived));
        Assert.True(progress[^1].IsComplete);
        Assert.Equal(progress[^1].TotalPages, progress[^1].PagesReceived);
        Assert.All(progress, p => Assert.True(p.BytesReceived <= p.TotalBytes));
        Assert.True(pump.LargestFrame <= 64 * 1024 + 256, $"a frame of {pump.LargestFrame} bytes");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ADownloadCutInTheMiddleResumesWhereItStoppedAfterARestartAndConverges()
    {
        await HistoryCompactedAsync(tail: 3);
        long firstSession;
        using (LocalDocument late = Client("cut"))
        {
            var client = new ReplicationClient("cut");
            client.AddDocument(late);
            ServerLink link = _host.Server.CreateLink(LinkIdentity.Anonymous);
            var toServer = new Queue<SyncMessage>(client.Connect());
            var toClient = new Queue<SyncMessage>();
            int chunks = 0;
            while (chunks < 4)
            {
                foreach (SyncMessage m in client.Poll()) toServer.Enqueue(m);
                while (toServer.TryDequeue(out SyncMessage? m))
                {
                    foreach (SyncMessage r in link.Handle(Decode(m))) toClient.Enqueue(r);
                }

                while (toClient.TryDequeue(out SyncMessage? m))
                {
                    if (m is CheckpointChunkMessage { Bytes.Length: > 0 })
                    {
                        chunks++;
                    }

                    foreach (SyncMessage r in client.Handle(Decode(m))) toServer.Enqueue(r);
                }
            }

            firstSession = Directory.GetFiles(Path.Combine(_host.Temp.Sub("cut"), "checkpoints"), "*.part").Select(f => new FileInfo(f).Length).Single();
            Assert.Equal(4 * 64 * 1024, firstSession);
        } // the connection is cut and the client process stops

        using LocalDocument again = Client("cut");
        var progress = new List<CheckpointDownloadProgress>();
        again.CheckpointDownloadProgress += (_, p) => progress.Add(p);
        var pump = new ReplicationPump(new ReplicationClient("cut"), _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Client.AddDocument(again);
        pump.Connect();
        pump.RunUntilQuiet();

        Assert.Equal(Coordinator.StorageChecksum, again.StorageChecksum);
        Assert.Equal(CheckpointServer.Rows(q => Coordinator.Query(q)), CheckpointServer.Rows(q => again.Query(q)));
        Assert.Equal(firstSession, progress[0].BytesReceived); // the offer found what was held: nothing sent twice
        long total = progress[^1].TotalBytes;
        Assert.True(pump.Bytes < total - firstSession + 128 * 1024, $"{pump.Bytes} bytes on the wire to finish {total - firstSession}");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AMemoryClientBehindACompactionGetsAClearError()
    {
        await HistoryCompactedAsync(tail: 0);
        using LocalDocument memory = LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });
        var client = new ReplicationClient("memory");
        client.AddDocument(memory);
        var pump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        var error = Assert.Throws<SqlSyncException>(() => pump.RunUntilQuiet());
        Assert.Equal(SqlSyncErrorCode.StorageCompacted, error.Code);
    }

    /// <summary>Syncs <paramref name="document"/> on a new link until nothing moves.</summary>
    private ReplicationPump SyncOnNewLink(LocalDocument document)
    {
        var pump = new ReplicationPump(new ReplicationClient("joiner"), _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Client.AddDocument(document);
        pump.Connect();
        pump.RunUntilQuiet();
        return pump;
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task AServerCheckpointCorruptOnDiskIsReportedOnceKeptAndTheJoinerRefusedWithAClearError()
    {
        // The server's page view reads from its checkpoint file (decision 0026): a page damaged on its disk exists
        // nowhere else, so the server cannot write a sound checkpoint in its place. It must say so once, keep the file,
        // and refuse joiners with a clear error after a bounded number of downloads, never send it forever.
        await HistoryCompactedAsync(tail: 3);
        string corrupt = _host.ServerCheckpoint();
        long length = new FileInfo(corrupt).Length;
        CheckpointServer.FlipByte(corrupt, 3 * 4096 + 17); // a byte of page 3: the header still reads, the page's hash fails
        using LocalDocument late = Client("late");
        var progress = new List<CheckpointDownloadProgress>();
        late.CheckpointDownloadProgress += (_, p) => progress.Add(p);
        var client = new ReplicationClient("late");
        client.AddDocument(late);
        var pump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        var refused = Assert.Throws<SqlSyncException>(() => pump.RunUntilQuiet()); // before decision 0027: "never went quiet"
        Assert.Equal(ProtocolErrorCode.CheckpointRejected, ProtocolException.CodeOf(refused));

        Assert.Equal(1, Coordinator.CorruptCheckpointsFound);
        string warning = Assert.Single(_warnings, w => w.Contains("corrupt", StringComparison.Ordinal));
        Assert.Contains(Path.GetFileName(corrupt), warning, StringComparison.Ordinal);
        Assert.Contains("backup", warning, StringComparison.Ordinal);
        Assert.True(File.Exists(corrupt), "the server keeps the file its pages come from");
        Assert.True(pump.Bytes < 4 * length + 128 * 1024, $"{pump.Bytes} bytes on the wire for a checkpoint of {length}: at most three downloads");
        Assert.DoesNotContain(progress, p => p.IsComplete); // a corrupt download never reports itself complete
        Assert.True(late.StorageRange.IsEmpty, "the joiner installed nothing");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ACheckpointDamagedOnTheWayIsSentAtMostThreeTimesPerLinkThenRefusedAndTheNextLinkConverges()
    {
        await HistoryCompactedAsync(tail: 2);
        using LocalDocument late = Client("damaged");
        var client = new ReplicationClient("damaged");
        client.AddDocument(late);
        var pump = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous))
        {
            // The last slice of every download is damaged after the server sent it (a client's disk, a broken proxy).
            AlterToClient = CheckpointServer.DamageLastSlice,
        };
        pump.Connect();
        var refused = Assert.Throws<SqlSyncException>(() => pump.RunUntilQuiet());
        Assert.Equal(ProtocolErrorCode.CheckpointRejected, ProtocolException.CodeOf(refused));
        Assert.True(SyncProtocol.IsDocumentRefusal(ProtocolErrorCode.CheckpointRejected)); // the client opens it again after a growing delay
        Assert.Equal(ServerLink.MaxCheckpointRejections, pump.CorruptCheckpointReports);
        Assert.Equal(0, Coordinator.CorruptCheckpointsFound); // the server's copy validated, once
        Assert.Empty(_warnings);
        Assert.Empty(Directory.GetFiles(Path.Combine(_host.Temp.Sub("damaged"), "checkpoints"), "*.part")); // nothing corrupt kept

        client.Disconnect();
        var again = new ReplicationPump(client, _host.Server.CreateLink(LinkIdentity.Anonymous));
        again.Connect();
        again.RunUntilQuiet();
        Assert.Equal(Coordinator.StorageChecksum, late.StorageChecksum);
        Assert.Equal(CheckpointServer.Rows(q => Coordinator.Query(q)), CheckpointServer.Rows(q => late.Query(q)));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACorruptReportCrossesTheWireAndOtherAcksStayAsTheyWere()
    {
        var corrupt = new CheckpointAckMessage(Id, new Lsn(42), CheckpointAckMessage.Corrupt);
        Assert.Equal(corrupt, Decode(corrupt));
        var held = new CheckpointAckMessage(Id, new Lsn(42), 4096);
        Assert.Equal(held, Decode(held));
    }

    private static SyncMessage Decode(SyncMessage message) => SyncMessageCodec.Decode(SyncMessageCodec.Encode(message));

    public void Dispose() => _host.Dispose();
}
