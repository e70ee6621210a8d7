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
    private readonly TempDirectory _temp = new();
    private readonly TestCoordinators _coordinators;
    private readonly ReplicationServer _server;

    public JoinFromCheckpointTests()
    {
        _coordinators = new TestCoordinators
        {
            OptionsFor = id => new CoordinatorDocumentOptions
            {
                DocumentId = id,
                Reducer = Reducer,
                Directory = _temp.Sub("server"),
                StorageRetention = TimeSpan.Zero,
                CheckpointMinJournalBytes = long.MaxValue, // checkpoints only when the test asks
            },
        };
        _server = new ReplicationServer(_coordinators, new ReplicationOptions { MaxEntryBytesPerMessage = 64 * 1024 });
    }

    private CoordinatorDocument Coordinator => _coordinators.GetDocument(Id);

    private LocalDocument Client(string name) => LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer, Directory = _temp.Sub(name) });

    /// <summary>A writer that fills the document (about 100 pages), then the server checkpoints and compacts.</summary>
    private async Task<Lsn> HistoryCompactedAsync(int tail)
    {
        using LocalDocument writer = LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });
        var client = new ReplicationClient("writer");
        client.AddDocument(writer);
        var pump = new ReplicationPump(client, _server.CreateLink(LinkIdentity.Anonymous));
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

    private static string Rows(Func<string, IReadOnlyList<object?[]>> query) =>
        string.Join(";", query("SELECT id, qty FROM items ORDER BY id").Select(r => $"{r[0]}={r[1]}"));

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

        var client = new ReplicationClient("late");
        client.AddDocument(late);
        var pump = new ReplicationPump(client, _server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        pump.RunUntilQuiet();

        Assert.Equal(Coordinator.StorageChecksum, late.StorageChecksum);
        Assert.Equal(Coordinator.StorageRange.Next, late.StorageRange.Next);
        Assert.Equal(0, late.PendingMutationCount);
        Assert.Equal(Rows(q => Coordinator.Query(q)), Rows(q => late.Query(q)));
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
            ServerLink link = _server.CreateLink(LinkIdentity.Anonymous);
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

            firstSession = Directory.GetFiles(Path.Combine(_temp.Sub("cut"), "checkpoints"), "*.part").Select(f => new FileInfo(f).Length).Single();
            Assert.Equal(4 * 64 * 1024, firstSession);
        } // the connection is cut and the client process stops

        using LocalDocument again = Client("cut");
        var progress = new List<CheckpointDownloadProgress>();
        again.CheckpointDownloadProgress += (_, p) => progress.Add(p);
        var pump = new ReplicationPump(new ReplicationClient("cut"), _server.CreateLink(LinkIdentity.Anonymous));
        pump.Client.AddDocument(again);
        pump.Connect();
        pump.RunUntilQuiet();

        Assert.Equal(Coordinator.StorageChecksum, again.StorageChecksum);
        Assert.Equal(Rows(q => Coordinator.Query(q)), Rows(q => again.Query(q)));
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
        var pump = new ReplicationPump(client, _server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        var error = Assert.Throws<SqlSyncException>(() => pump.RunUntilQuiet());
        Assert.Equal(SqlSyncErrorCode.StorageCompacted, error.Code);
    }

    private static SyncMessage Decode(SyncMessage message) => SyncMessageCodec.Decode(SyncMessageCodec.Encode(message));

    public void Dispose()
    {
        _coordinators.Dispose();
        _temp.Dispose();
    }
}
