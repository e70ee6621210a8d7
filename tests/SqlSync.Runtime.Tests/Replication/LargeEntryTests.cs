using System.Runtime.InteropServices;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>
/// Journal entries larger than a frame (issue 12, point 6): they travel as entry parts both ways, and a peer
/// that sends parts out of order, too many bytes or an unfinished entry gets a protocol error and changes nothing.
/// </summary>
public sealed class LargeEntryTests
{
    private const int MiB = 1 << 20;

    private static LocalDocument Client(string id) =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = BulkMutations.Reducer });

    private static JournalPartial One(Lsn lsn, byte[] entry) => new(LsnRange.Inclusive(lsn, lsn), new ReadOnlyMemory<byte>[] { entry });

    private static byte[] Entry(byte[] record) => TimelineEntry.Encode(1_700_000_000_000, record);

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ASixtyFourMiBStepSyncsToAFreshClientByteForByteAndSyncingGoesOn()
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        var server = new ReplicationServer(coordinators);
        CoordinatorDocument coordinator = coordinators.GetDocument("bulk");

        // One record of a few bytes whose step writes 4096 random 16 KiB blobs: a storage entry over 64 MiB.
        coordinator.ReceiveTimeline(TimelineId.New(), One(Lsn.Zero, Entry(BulkMutations.FillBlobs(4096, 16 * 1024))));
        coordinator.StepAll();
        int stepBytes = LastEntry(coordinator).Length;
        Assert.True(stepBytes > 64 * MiB, $"the step's entry has {stepBytes} bytes");

        using LocalDocument fresh = Client("bulk");
        var client = new ReplicationClient("fresh");
        client.AddDocument(fresh);
        var pump = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        pump.RunUntilQuiet();

        Assert.Equal(coordinator.StorageRange, fresh.StorageRange);
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(4096L, fresh.QueryScalar<long>("SELECT count(*) FROM blobs"));
        Assert.True(pump.LargestFrame <= (1 << 20) + 256, $"the largest frame had {pump.LargestFrame} bytes");

        // The client keeps syncing after the large entry, both ways.
        fresh.Mutate(BulkMutations.Note("after", 7));
        pump.RunUntilQuiet();
        Assert.Equal(0, fresh.PendingMutationCount);
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(7L, fresh.QueryScalar<long>("SELECT value FROM notes WHERE name = 'after'"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void EveryPartReceivedInAPooledFrameIsReleasedOnceTakenAndTheEntryIsWhole()
    {
        // Decision 0043: a client's transport hands over parts whose bytes are slices of pooled frames; the client
        // gives each back once it is copied into its entry, and the entry is the server's, byte for byte.
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        var server = new ReplicationServer(coordinators);
        CoordinatorDocument coordinator = coordinators.GetDocument("pooled");
        coordinator.ReceiveTimeline(TimelineId.New(), One(Lsn.Zero, Entry(BulkMutations.FillBlobs(256, 16 * 1024))));
        coordinator.StepAll();
        Assert.True(LastEntry(coordinator).Length > 4 * MiB);

        using LocalDocument fresh = Client("pooled");
        var client = new ReplicationClient("fresh");
        client.AddDocument(fresh);
        var handedOver = new List<ReadOnlyMemory<byte>>();
        var pump = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous))
        {
            ReceivedByClient = message =>
            {
                if (message is not StorageEntryPartMessage part)
                {
                    return message;
                }

                byte[] array = FramePool.Instance.Rent(part.Bytes.Length);
                part.Bytes.CopyTo(array);
                ReadOnlyMemory<byte> pooled = new PooledFrame(array, part.Bytes.Length).Memory;
                handedOver.Add(pooled);
                return part with { Bytes = pooled };
            },
        };
        pump.Connect();
        pump.RunUntilQuiet();

        Assert.True(handedOver.Count >= 5, $"{handedOver.Count} parts");
        foreach (ReadOnlyMemory<byte> bytes in handedOver)
        {
            Assert.Throws<ObjectDisposedException>(() => bytes.Span.ToArray()); // given back: its bytes are gone
        }

        Assert.Equal(coordinator.StorageRange, fresh.StorageRange);
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(256L, fresh.QueryScalar<long>("SELECT count(*) FROM blobs"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheIssues24MiBStepFromASmallUploadReachesTheWriterAndAFreshClient()
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        var server = new ReplicationServer(coordinators);
        using LocalDocument writer = Client("issue");
        var writerClient = new ReplicationClient("writer");
        writerClient.AddDocument(writer);
        var writerPump = new ReplicationPump(writerClient, server.CreateLink(LinkIdentity.Anonymous));
        writerPump.Connect();

        byte[] record = BulkMutations.FillBlobs(1536, 16 * 1024); // 24 MiB written by a record of a few bytes
        writer.Mutate(record);
        writerPump.RunUntilQuiet();

        CoordinatorDocument coordinator = coordinators.GetDocument("issue");
        Assert.True(LastEntry(coordinator).Length > 24 * MiB);
        Assert.Equal(0, writer.PendingMutationCount);
        Assert.Equal(coordinator.StorageChecksum, writer.StorageChecksum);

        using LocalDocument fresh = Client("issue");
        var freshClient = new ReplicationClient("fresh");
        freshClient.AddDocument(fresh);
        var freshPump = new ReplicationPump(freshClient, server.CreateLink(LinkIdentity.Anonymous));
        freshPump.Connect();
        freshPump.RunUntilQuiet();
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);

        fresh.Mutate(BulkMutations.Note("fresh", 1));
        freshPump.RunUntilQuiet();
        writer.Mutate(BulkMutations.Note("writer", 2));
        writerPump.RunUntilQuiet();
        freshPump.RunUntilQuiet();
        Assert.Equal(coordinator.StorageChecksum, writer.StorageChecksum);
        Assert.Equal(coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(3L, fresh.QueryScalar<long>("SELECT sum(value) FROM notes"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ATimelineEntryLargerThanAFrameIsUploadedInParts()
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        var server = new ReplicationServer(coordinators);
        using LocalDocument writer = Client("upload");
        var client = new ReplicationClient("writer");
        client.AddDocument(writer);
        var pump = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();

        byte[] payload = new byte[20 * MiB]; // a mutation record over the 16 MiB frame limit
        new Random(12).NextBytes(payload);
        writer.Mutate(BulkMutations.KeepLength("photo", payload));
        writer.Mutate(BulkMutations.Note("small", 1));
        pump.RunUntilQuiet();

        CoordinatorDocument coordinator = coordinators.GetDocument("upload");
        Assert.Equal(0, writer.PendingMutationCount);
        Assert.True(client.IsUploaded("upload"));
        Assert.Equal(20L * MiB, (long)coordinator.Query("SELECT value FROM notes WHERE name = 'photo'")[0][0]!);
        Assert.Equal(coordinator.StorageChecksum, writer.StorageChecksum);
        Assert.True(pump.LargestFrame <= (1 << 20) + 256, $"the largest frame had {pump.LargestFrame} bytes");
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void PartsReferToTheJournalEntryWithoutCopies()
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        var server = new ReplicationServer(coordinators);
        CoordinatorDocument coordinator = coordinators.GetDocument("slices");
        coordinator.ReceiveTimeline(TimelineId.New(), One(Lsn.Zero, Entry(BulkMutations.FillBlobs(64, 16 * 1024))));
        coordinator.StepAll();
        ReadOnlyMemory<byte> entry = LastEntry(coordinator);
        Assert.True(MemoryMarshal.TryGetArray(entry, out ArraySegment<byte> stored));

        ServerLink link = server.CreateLink(LinkIdentity.Anonymous);
        link.Handle(new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, "test"));
        List<StorageEntryPartMessage> parts = link.Handle(new OpenDocumentMessage("slices", TimelineId.New(), LsnRange.EmptyAt(coordinator.StorageRange.Last), TimelineSecrets.For(TimelineId.New())))
            .OfType<StorageEntryPartMessage>().ToList();

        Assert.Equal((entry.Length + MiB - 1) / MiB, parts.Count);
        foreach (StorageEntryPartMessage part in parts)
        {
            Assert.True(MemoryMarshal.TryGetArray(part.Bytes, out ArraySegment<byte> slice));
            Assert.Same(stored.Array, slice.Array);
            Assert.Equal(stored.Offset + part.Offset, slice.Offset);
        }
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AClientThatSendsBadPartsGetsAProtocolErrorAndChangesNothing()
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        var options = new ReplicationOptions { MaxEntryBytes = MiB, MaxEntryBytesPerMessage = 64 * 1024 };
        var server = new ReplicationServer(coordinators, options);
        CoordinatorDocument coordinator = coordinators.GetDocument("guarded");
        coordinator.ReceiveTimeline(TimelineId.New(), One(Lsn.Zero, Entry(BulkMutations.Note("before", 1))));
        coordinator.StepAll();

        byte[] payload = new byte[200 * 1024];
        new Random(5).NextBytes(payload);
        byte[] entry = Entry(BulkMutations.KeepLength("big", payload));
        TimelineEntryPartMessage Part(int index, Lsn? lsn = null, int? length = null) =>
            new("guarded", lsn ?? Lsn.Zero, length ?? entry.Length, index * 64 * 1024, entry.AsMemory(index * 64 * 1024, Math.Min(64 * 1024, entry.Length - (index * 64 * 1024))));
        SyncMessage small = new TimelineEntriesMessage("guarded", One(Lsn.Zero, Entry(BulkMutations.Note("small", 1))));

        var cases = new (string Name, ProtocolErrorCode Expected, SyncMessage[] Frames, DocumentAccess Access)[]
        {
            ("parts out of order", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(0), Part(2) }, DocumentAccess.ReadWrite),
            ("a first part at another offset", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(1) }, DocumentAccess.ReadWrite),
            ("a part sent twice", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(0), Part(0) }, DocumentAccess.ReadWrite),
            ("a part of another entry", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(0), Part(1, lsn: new Lsn(1)) }, DocumentAccess.ReadWrite),
            ("a part whose entry length changes", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(0), Part(1, length: entry.Length + 1) }, DocumentAccess.ReadWrite),
            ("an unfinished entry, then an ack", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(0), Part(1), new StorageAckMessage("guarded", coordinator.StorageRange) }, DocumentAccess.ReadWrite),
            ("an unfinished entry, then entries", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { Part(0), small }, DocumentAccess.ReadWrite),
            ("an entry over the receiver's limit", ProtocolErrorCode.FrameTooLarge, new SyncMessage[] { Part(0, length: MiB + 1) }, DocumentAccess.ReadWrite),
            ("parts after a gap", ProtocolErrorCode.LsnOutOfRange, new SyncMessage[] { Part(0, lsn: new Lsn(5)) }, DocumentAccess.ReadWrite),
            ("parts on a read-only link", ProtocolErrorCode.AccessDenied, new SyncMessage[] { Part(0) }, DocumentAccess.ReadOnly),
        };

        foreach ((string name, ProtocolErrorCode expected, SyncMessage[] frames, DocumentAccess access) in cases)
        {
            LsnRange storage = coordinator.StorageRange;
            ulong checksum = coordinator.StorageChecksum;
            var timeline = TimelineId.New();
            ServerLink link = server.CreateLink(new LinkIdentity("mallory", _ => access));
            link.Handle(new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, "mallory"));
            link.Handle(new OpenDocumentMessage("guarded", timeline, storage, TimelineSecrets.For(timeline)));

            var error = Assert.Throws<SqlSyncException>(() =>
            {
                foreach (SyncMessage frame in frames)
                {
                    link.Handle(SyncMessageCodec.Decode(SyncMessageCodec.Encode(frame)));
                }
            });
            Assert.True(expected == ProtocolException.CodeOf(error), $"{name}: expected {expected}, got {error.Message}");
            Assert.True(coordinator.GetTimelineRange(timeline).IsEmpty, $"{name}: nothing reached the timeline");
            Assert.Equal(0, coordinator.QueuedMutationCount);
            Assert.Equal(storage, coordinator.StorageRange);
            Assert.Equal(checksum, coordinator.StorageChecksum);
        }

        // The same parts in order are accepted.
        ServerLink good = server.CreateLink(LinkIdentity.Anonymous);
        good.Handle(new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes, "good"));
        var goodTimeline = TimelineId.New();
        good.Handle(new OpenDocumentMessage("guarded", goodTimeline, coordinator.StorageRange, TimelineSecrets.For(goodTimeline)));
        IReadOnlyList<SyncMessage> replies = Array.Empty<SyncMessage>();
        for (int i = 0; i * 64 * 1024 < entry.Length; i++)
        {
            Assert.Empty(replies);
            replies = good.Handle(SyncMessageCodec.Decode(SyncMessageCodec.Encode(Part(i))));
        }

        Assert.Equal(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), Assert.IsType<TimelineAckMessage>(Assert.Single(replies)).TimelineRange);
        Assert.Equal((long)payload.Length, (long)coordinator.Query("SELECT value FROM notes WHERE name = 'big'")[0][0]!);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AServerThatSendsBadPartsGetsAProtocolErrorAndTheClientChangesNothing()
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer);
        CoordinatorDocument coordinator = coordinators.GetDocument("pushed");
        coordinator.ReceiveTimeline(TimelineId.New(), One(Lsn.Zero, Entry(BulkMutations.FillBlobs(20, 8000))));
        coordinator.StepAll();
        byte[] entry = LastEntry(coordinator).ToArray();
        Lsn last = coordinator.StorageRange.Last;
        const int Part = 32 * 1024;
        StorageEntryPartMessage PartAt(int index, string document = "pushed") =>
            new(document, last, entry.Length, index * Part, entry.AsMemory(index * Part, Math.Min(Part, entry.Length - (index * Part))));
        int parts = (entry.Length + Part - 1) / Part;
        Assert.True(parts >= 3);

        using LocalDocument document = Client("pushed");
        var client = new ReplicationClient("victim", new ReplicationOptions { MaxEntryBytes = 2 * entry.Length });
        client.AddDocument(document);
        Open();
        JournalPartial before = coordinator.PrepareStorageSync(LsnRange.Empty, long.MaxValue)!;
        Assert.True(last > Lsn.Zero && before.Range.First == Lsn.Zero); // the entries before the large one are taken as usual
        client.Handle(new StorageEntriesMessage("pushed", new JournalPartial(LsnRange.Inclusive(Lsn.Zero, new Lsn(last.Value - 1)), before.Entries.Take((int)last.Value).ToArray())));
        LsnRange held = document.StorageRange;
        Assert.Equal(last, held.Next);
        void Open()
        {
            client.Connect();
            client.Handle(new WelcomeMessage(SyncProtocol.Version, SyncProtocol.DefaultMaxFrameBytes));
            client.Handle(new DocumentOpenedMessage("pushed", DocumentAccess.ReadWrite, LsnRange.Empty));
        }

        var cases = new (string Name, ProtocolErrorCode Expected, SyncMessage[] Frames)[]
        {
            ("parts out of order", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(0), PartAt(2) }),
            ("a first part at another offset", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(1) }),
            ("an unfinished entry, then an ack", ProtocolErrorCode.UnexpectedMessage, new SyncMessage[] { PartAt(0), new TimelineAckMessage("pushed", LsnRange.Empty) }),
            ("an entry over the client's limit", ProtocolErrorCode.FrameTooLarge, new SyncMessage[] { PartAt(0) with { EntryLength = (2 * entry.Length) + 1 } }),
            ("parts of a document not opened", ProtocolErrorCode.UnknownDocument, new SyncMessage[] { PartAt(0, "elsewhere") }),
        };

        foreach ((string name, ProtocolErrorCode expected, SyncMessage[] frames) in cases)
        {
            Open();
            var error = Assert.Throws<SqlSyncException>(() =>
            {
                foreach (SyncMessage frame in frames)
                {
                    client.Handle(SyncMessageCodec.Decode(SyncMessageCodec.Encode(frame)));
                }
            });
            Assert.True(expected == ProtocolException.CodeOf(error), $"{name}: expected {expected}, got {error.Message}");
            Assert.True(held == document.StorageRange, $"{name}: the client appended nothing");
        }

        // The parts in order, after a reconnect that drops whatever was unfinished, are taken.
        Open();
        client.Handle(PartAt(0));
        Open();
        IReadOnlyList<SyncMessage> replies = Array.Empty<SyncMessage>();
        for (int i = 0; i < parts; i++)
        {
            Assert.Empty(replies);
            replies = client.Handle(SyncMessageCodec.Decode(SyncMessageCodec.Encode(PartAt(i))));
        }

        Assert.Equal(coordinator.StorageRange, Assert.IsType<StorageAckMessage>(replies[0]).StorageRange);
        Assert.Equal(coordinator.StorageChecksum, document.StorageChecksum);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void NoJournalTakesAnEntryLargerThanAPeerAccepts()
    {
        // Uninitialized and never written: the journals refuse it by its length, before touching its bytes.
        byte[] tooLarge = GC.AllocateUninitializedArray<byte>(SyncProtocol.DefaultMaxEntryBytes + 1);
        using var memory = new MemoryJournal();
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, Assert.Throws<SqlSyncException>(() => memory.Append(tooLarge)).Code);
        Assert.True(memory.Range.IsEmpty);

        string directory = Path.Combine(Path.GetTempPath(), "sqlsync-large-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (FileJournal file = FileJournal.Open(directory))
            {
                Assert.Equal(SqlSyncErrorCode.InvalidArgument, Assert.Throws<SqlSyncException>(() => file.Append(tooLarge)).Code);
                Assert.True(file.Range.IsEmpty);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void PartFramesAreCheckedWhenDecoded()
    {
        byte[] bytes = new byte[1000];
        new Random(1).NextBytes(bytes);
        var part = new StorageEntryPartMessage("doc", new Lsn(9), 5000, 4000, bytes);
        var decoded = Assert.IsType<StorageEntryPartMessage>(SyncMessageCodec.Decode(SyncMessageCodec.Encode(part)));
        Assert.Equal(("doc", new Lsn(9), 5000, 4000), (decoded.DocumentId, decoded.Lsn, decoded.EntryLength, decoded.Offset));
        Assert.Equal(bytes, decoded.Bytes.ToArray());
        Assert.True(decoded.IsLast);

        byte[] zeros = new byte[4096]; // compressed on the wire, the same bytes after
        var compressed = new TimelineEntryPartMessage("doc", Lsn.Zero, 10_000, 0, zeros);
        byte[] frame = SyncMessageCodec.Encode(compressed);
        Assert.True(frame.Length < 1000);
        Assert.Equal(zeros, Assert.IsType<TimelineEntryPartMessage>(SyncMessageCodec.Decode(frame)).Bytes.ToArray());

        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(part with { EntryLength = 4500 })); // runs past the entry
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(part with { Offset = 5000 }));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(part with { Bytes = Array.Empty<byte>() }));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, DecodeError(part with { EntryLength = 0, Offset = 0 }));

        byte[] version2 = SyncMessageCodec.Encode(part);
        version2[2] = 2;
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, DecodeError(version2));
    }

    /// <summary>The coordinator's last storage entry (the journal's own memory, not a copy).</summary>
    private static ReadOnlyMemory<byte> LastEntry(CoordinatorDocument coordinator) =>
        coordinator.PrepareStorageSync(LsnRange.EmptyAt(coordinator.StorageRange.Last), 1)!.Entries[0];

    private static ProtocolErrorCode DecodeError(SyncMessage message) => DecodeError(SyncMessageCodec.Encode(message));

    private static ProtocolErrorCode DecodeError(byte[] frame)
    {
        var error = Assert.Throws<SqlSyncException>(() => SyncMessageCodec.Decode(frame));
        Assert.Equal(SqlSyncErrorCode.Protocol, error.Code);
        return ProtocolException.CodeOf(error);
    }
}
