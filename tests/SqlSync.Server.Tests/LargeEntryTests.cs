using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Journal entries larger than a frame over real WebSockets (issue 12, point 6): a step of 64 MiB and the issue's
/// 24 MiB step reach fresh clients byte for byte, and a client that sends bad entry parts is refused alone.
/// </summary>
public sealed class LargeEntryTests : ServerTestBase
{
    private const int MiB = 1 << 20;

    private static void BulkDocuments(SqlSyncServerOptions options) =>
        options.ReducerFor = id => id.StartsWith("bulk", StringComparison.Ordinal) ? BulkMutations.Reducer.Instance : CounterMutations.Reducer.Instance;

    private LocalDocument BulkClient(string name, string documentId) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = documentId,
        Reducer = BulkMutations.Reducer.Instance,
        Directory = Path.Combine(Root, "clients", name, documentId),
        FsyncOnAppend = false,
    });

    private static int LastEntryBytes(CoordinatorDocument coordinator) =>
        coordinator.PrepareStorageSync(LsnRange.EmptyAt(coordinator.StorageRange.Last), 1)!.Entries[0].Length;

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task ASixtyFourMiBStepReachesAFreshClientByteForByteAndSyncingGoesOn()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, BulkDocuments);
        CoordinatorDocument coordinator = server.Document("bulk");

        // A few bytes uploaded by a bare client; the step writes 4096 random 16 KiB blobs: an entry over 64 MiB.
        var writer = new MutationWriter();
        new BulkMutations.FillBlobsMutation(4096, 16 * 1024).WriteTo(writer);
        byte[] entry = TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan);
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(new OpenDocumentMessage("bulk", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntriesMessage("bulk", new JournalPartial(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), new ReadOnlyMemory<byte>[] { entry })));
            await raw.ExpectAsync<TimelineAckMessage>();
        }

        await Eventually.TrueAsync(() => coordinator.QueuedMutationCount == 0 && !coordinator.StorageRange.IsEmpty && LastEntryBytes(coordinator) > 64 * MiB,
            "the coordinator stepped the upload into one entry over 64 MiB", TimeSpan.FromSeconds(120));

        using LocalDocument fresh = BulkClient("fresh", "bulk");
        await using SqlSyncClient sync = Connect(server.SyncUri, fresh);
        await ConvergedAsync(fresh, coordinator, "the fresh client", TimeSpan.FromSeconds(120));
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(4096L, fresh.QueryScalar<long>("SELECT count(*) FROM blobs"));

        fresh.Note("after", 7);
        await ConvergedAsync(fresh, coordinator, "the fresh client after a mutation of its own");
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(7L, fresh.QueryScalar<long>("SELECT value FROM notes WHERE name = 'after'"));
        Assert.Equal(1, sync.ConnectionCount);
        Assert.Null(sync.LastError);
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task TheIssues24MiBStepReachesItsWriterAndAFreshClient()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, BulkDocuments);
        CoordinatorDocument coordinator = server.Document("bulk-issue");
        using LocalDocument writer = BulkClient("writer", "bulk-issue");
        await using SqlSyncClient writerSync = Connect(server.SyncUri, writer);

        writer.FillBlobs(1536, 16 * 1024); // one small upload whose reducer writes 24 MiB
        await ConvergedAsync(writer, coordinator, "the writer", TimeSpan.FromSeconds(120));
        Assert.True(LastEntryBytes(coordinator) > 24 * MiB);
        Assert.Equal(coordinator.StorageChecksum, writer.StorageChecksum);

        using LocalDocument fresh = BulkClient("fresh", "bulk-issue");
        await using SqlSyncClient freshSync = Connect(server.SyncUri, fresh);
        await ConvergedAsync(fresh, coordinator, "the fresh client", TimeSpan.FromSeconds(120));
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);

        writer.Note("writer", 1);
        fresh.Note("fresh", 2);
        await ConvergedAsync(writer, coordinator, "the writer after more mutations");
        await ConvergedAsync(fresh, coordinator, "the fresh client after more mutations");
        await Eventually.TrueAsync(() => writer.StorageRange == fresh.StorageRange, "both hold the same storage");
        Assert.Equal(writer.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(3L, fresh.QueryScalar<long>("SELECT sum(value) FROM notes"));
        Assert.Equal(1, writerSync.ConnectionCount);
        Assert.Equal(1, freshSync.ConnectionCount);
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task BadEntryPartsCloseOnlyTheirLinkAndReachNoJournal()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
            options.Replication = new ReplicationOptions { MaxEntryBytes = MiB, MaxEntryBytesPerMessage = 64 * 1024 });
        using var good = Client("good");
        good.CreateSchema();
        long goodTotal = 0;
        CoordinatorDocument coordinator = server.Document("counters");
        await using SqlSyncClient goodSync = Connect(server.SyncUri, good);
        await ConvergedAsync(good, coordinator, "the good client");

        // A valid Pad record of 200 KiB, in 64 KiB parts.
        byte[] payload = new byte[200 * 1024];
        new Random(8).NextBytes(payload);
        var record = new MutationWriter();
        new CounterMutations.PadMutation("big", payload).WriteTo(record);
        byte[] entry = TimelineEntry.Encode(1_700_000_000_000, record.WrittenSpan);
        const int Part = 64 * 1024;
        TimelineEntryPartMessage PartAt(int index, Lsn? lsn = null, int? length = null) =>
            new("counters", lsn ?? Lsn.Zero, length ?? entry.Length, index * Part, entry.AsMemory(index * Part, Math.Min(Part, entry.Length - (index * Part))));

        var cases = new (string Name, ProtocolErrorCode Expected, SyncMessage[] Frames)[]
        {
            ("parts out of order", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(0), PartAt(2) }),
            ("a first part at another offset", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(1) }),
            ("a part of another entry", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(0), PartAt(1, lsn: new Lsn(1)) }),
            ("an entry over the server's limit", ProtocolErrorCode.FrameTooLarge, new SyncMessage[] { PartAt(0, length: MiB + 1) }),
            ("a part running past its entry", ProtocolErrorCode.MalformedFrame, new SyncMessage[] { PartAt(0), PartAt(1, length: Part + 10) }),
            ("an unfinished entry, then entries", ProtocolErrorCode.UnexpectedMessage,
                new SyncMessage[] { PartAt(0), PartAt(1), new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 1)) }),
            ("an unfinished entry, then an ack", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(0), new StorageAckMessage("counters", LsnRange.Empty) }),
        };

        foreach ((string name, ProtocolErrorCode expected, SyncMessage[] frames) in cases)
        {
            await ConvergedAsync(good, coordinator, "the good client");
            Dictionary<string, long> filesBefore = BadInputTests.Files(ServerDirectory);
            LsnRange storageBefore = coordinator.StorageRange;
            ulong checksumBefore = coordinator.StorageChecksum;
            var timeline = TimelineId.New();
#pragma warning disable CA2000 // false positive: disposed by the await using
            await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
#pragma warning restore CA2000
            {
                await raw.SendAsync(new OpenDocumentMessage("counters", timeline, storageBefore, TimelineSecrets.For(timeline)));
                await raw.ExpectAsync<DocumentOpenedMessage>();
                foreach (SyncMessage frame in frames)
                {
                    await raw.SendAsync(frame);
                }

                ErrorMessage error = await raw.ExpectErrorAsync();
                Assert.True(expected == error.Code, $"{name}: expected {expected}, the server answered {error.Code}: {error.Message}");
            }

            Assert.True(coordinator.GetTimelineRange(timeline).IsEmpty, $"{name}: nothing reached the link's timeline");
            Assert.Equal(storageBefore, coordinator.StorageRange);
            Assert.Equal(checksumBefore, coordinator.StorageChecksum);
            Assert.Equal(filesBefore, BadInputTests.Files(ServerDirectory));

            good.Add("good", 1); // the other link is still served
            goodTotal++;
        }

        // The same parts, whole and in order, are taken.
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(new OpenDocumentMessage("counters", TimelineId.New(), coordinator.StorageRange, TimelineSecrets.For(TimelineId.New())));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            for (int i = 0; i * Part < entry.Length; i++)
            {
                await raw.SendAsync(PartAt(i));
            }

            await raw.ExpectAsync<TimelineAckMessage>();
        }

        await ConvergedAsync(good, coordinator, "the good client");
        await Eventually.TrueAsync(() => Value(coordinator, "big") == payload.Length, "the coordinator applied the entry sent in parts");
        Assert.Equal(goodTotal, Value(coordinator, "good"));
        Assert.Equal(1, goodSync.ConnectionCount);
        Assert.Null(goodSync.LastError);
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);
    }
}
