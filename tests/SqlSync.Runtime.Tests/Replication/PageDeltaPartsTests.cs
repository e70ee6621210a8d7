using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using Xunit;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>Page deltas (decision 0025) through the encoded frames, also when an entry travels in parts (decision 0009).</summary>
public sealed class PageDeltaPartsTests
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public void DeltasSentAsEntryPartsAreReassembledRebuiltAndConverge()
    {
        long withDeltas = BytesPerEntry(pageDeltaBytes: 1 << 20);
        long fullPages = BytesPerEntry(pageDeltaBytes: 0);
        Assert.True(withDeltas * 3 < fullPages * 2, $"{withDeltas} bytes per entry with deltas, {fullPages} with full pages");
    }

    /// <summary>
    /// Runs 20 single-row steps to a client that keeps up; the frame bytes per storage entry, both ways (with parts of
    /// 2 KiB, each part's frame header and acknowledgement weigh on both runs alike).
    /// </summary>
    private static long BytesPerEntry(long pageDeltaBytes)
    {
        using var coordinators = new TestCoordinators(BulkMutations.Reducer)
        {
            OptionsFor = id => new CoordinatorDocumentOptions { DocumentId = id, Reducer = BulkMutations.Reducer, PageDeltaBytes = pageDeltaBytes },
        };

        // A budget below one page: every storage entry (page 1 and a leaf at least) goes as parts.
        var server = new ReplicationServer(coordinators, new ReplicationOptions { MaxEntryBytesPerMessage = 2048 });
        CoordinatorDocument coordinator = coordinators.GetDocument("parts");
        var timeline = TimelineId.New();
        coordinator.ReceiveTimeline(timeline, One(Lsn.Zero, TimelineEntry.Encode(1_700_000_000_000, BulkMutations.Note("first", 1))));
        coordinator.StepAll();

        using LocalDocument reader = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "parts", Reducer = BulkMutations.Reducer });
        var client = new ReplicationClient("reader");
        client.AddDocument(reader);
        var pump = new ReplicationPump(client, server.CreateLink(LinkIdentity.Anonymous));
        pump.Connect();
        pump.RunUntilQuiet();
        Assert.Equal(coordinator.StorageChecksum, reader.StorageChecksum);

        long bytesBefore = pump.Bytes;
        ulong firstEntry = coordinator.StorageRange.Next.Value;
        for (ulong i = 1; i <= 20; i++)
        {
            coordinator.ReceiveTimeline(timeline, One(new Lsn(i), TimelineEntry.Encode(1_700_000_000_000 + (long)i, BulkMutations.Note("n" + (i % 3), (long)i))));
            coordinator.StepAll();
            pump.RunUntilQuiet();
            Assert.Equal(coordinator.StorageChecksum, reader.StorageChecksum);
        }

        ulong entries = coordinator.StorageRange.Next.Value - firstEntry;
        long perEntry = (pump.Bytes - bytesBefore) / (long)entries;
        int entryBytes = coordinator.PrepareStorageSync(LsnRange.EmptyAt(new Lsn(firstEntry)), 1)!.Entries[0].Length;
        Assert.True(entryBytes > 2 * 2048, $"the entry has {entryBytes} bytes: not in parts");
        Assert.Equal(19L, reader.QueryScalar<long>("SELECT value FROM notes WHERE name = 'n1'"));
        Assert.Equal(pageDeltaBytes > 0, coordinator.PageDeltas?.Count > 0);
        return perEntry;
    }

    private static JournalPartial One(Lsn lsn, byte[] entry) => new(LsnRange.Inclusive(lsn, lsn), new ReadOnlyMemory<byte>[] { entry });
}
