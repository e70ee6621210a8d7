using SqlSync.Journals;
using SqlSync.Storage;
using Xunit;

namespace SqlSync.Runtime.Tests.Storage;

/// <summary>
/// Page deltas (decision 0025): a coordinator's storage keeps each entry's delta against the view before it; a replica
/// rebuilds the entry from its own committed view and must end with the same bytes and checksum, or refuse clearly.
/// </summary>
public sealed class PageDeltaTests
{
    private const int PageSize = StorageFormat.PageSize;

    [Theory]
    [Trait("Category", "Checkpoint")]
    [InlineData("random")]
    [InlineData("identical")]
    [InlineData("all-different")]
    [InlineData("sparse")]
    public void ADeltaRebuildsTheEntryByteForByte(string kind)
    {
        var random = new Random(kind.Length);
        using PageStorage coordinator = Coordinator();
        using PageStorage replica = Open("replica");
        for (uint page = 1; page <= 8; page++)
        {
            coordinator.Write(page, 0, RandomPage(random));
        }

        Commit(coordinator, replica, useDelta: false); // the first version of every page: no base

        for (int round = 0; round < 20; round++)
        {
            for (uint page = 1; page <= 8; page++)
            {
                byte[] next = coordinator.CommittedPage(page).ToArray();
                switch (kind)
                {
                    case "random":
                        if (random.Next(2) == 0)
                        {
                            next = RandomPage(random);
                        }

                        break;
                    case "all-different":
                        for (int i = 0; i < next.Length; i++)
                        {
                            next[i] = (byte)~next[i];
                        }

                        break;
                    case "sparse":
                        next[random.Next(PageSize)] ^= (byte)(1 + random.Next(255));
                        break;
                }

                coordinator.Write(page, 0, next); // "identical": written again unchanged, a delta of zeros
            }

            coordinator.Write((uint)(9 + round), 0, RandomPage(random)); // a page first written: delta against zeros
            Commit(coordinator, replica, useDelta: true);
        }

        Assert.Equal(coordinator.Checksum, replica.Checksum);
        Assert.Equal(coordinator.CommittedSizeInPages, replica.CommittedSizeInPages);
        for (uint page = 1; page <= coordinator.CommittedSizeInPages; page++)
        {
            Assert.True(coordinator.CommittedPage(page).SequenceEqual(replica.CommittedPage(page)), $"page {page} differs");
        }

        replica.VerifyFullChecksum();

        // The replica journaled full entries, never deltas: it can serve them and reopen from them.
        for (ulong lsn = replica.Range.First.Value; lsn < replica.Range.Next.Value; lsn++)
        {
            Assert.False(PageDelta.IsDelta(replica.Journal.Read(new Lsn(lsn)).Span));
            Assert.True(replica.Journal.Read(new Lsn(lsn)).Span.SequenceEqual(coordinator.Journal.Read(new Lsn(lsn)).Span));
        }
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ADeltaOfIdenticalPagesIsTinyOnceCompressed()
    {
        var random = new Random(3);
        using PageStorage coordinator = Coordinator();
        coordinator.Write(1, 0, RandomPage(random));
        coordinator.Write(2, 0, RandomPage(random));
        coordinator.Commit();
        byte[] page = coordinator.CommittedPage(2).ToArray();
        page[100] ^= 1;
        coordinator.Write(2, 0, page);
        Lsn lsn = coordinator.Commit()!.Value;

        byte[] delta = coordinator.Deltas!.Get(lsn)!;
        Assert.Equal(PageDelta.HeaderSize + 4 + PageSize, delta.Length);
        byte[]? block = SqlSync.Replication.EntryCompression.CompressBlock(delta);
        Assert.NotNull(block);
        Assert.True(block!.Length < 100, $"a one-byte change compresses to {block.Length} bytes");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACorruptDeltaIsRefusedAndLeavesTheReplicaAsItWas()
    {
        var random = new Random(5);
        using PageStorage coordinator = Coordinator();
        using PageStorage replica = Open("replica");
        coordinator.Write(1, 0, RandomPage(random));
        Commit(coordinator, replica, useDelta: false);
        byte[] changed = RandomPage(random);
        coordinator.Write(1, 0, changed);
        Lsn lsn = coordinator.Commit()!.Value;
        byte[] delta = coordinator.Deltas!.Get(lsn)!;
        ulong before = replica.Checksum;

        // A flipped bit in a page body: the rebuilt page does not give the entry's checksum after.
        byte[] flipped = (byte[])delta.Clone();
        flipped[PageDelta.HeaderSize + 4 + 17] ^= 0x10;
        Assert.Equal(SqlSyncErrorCode.PageDeltaCorrupt, Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, flipped)).Code);

        // Cut short, or a reserved field set: malformed.
        Assert.Equal(SqlSyncErrorCode.PageDeltaCorrupt, Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, delta.AsMemory(0, delta.Length - 1))).Code);
        byte[] reserved = (byte[])delta.Clone();
        reserved[36] = 1;
        Assert.Equal(SqlSyncErrorCode.PageDeltaCorrupt, Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, reserved)).Code);
        Assert.Equal(SqlSyncErrorCode.PageDeltaCorrupt, Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, delta.AsMemory(0, 10))).Code);

        // Made against another base (its checksum before or size before differs): a mismatch, named as such.
        byte[] otherBase = (byte[])delta.Clone();
        otherBase[24] ^= 1;
        SqlSyncException mismatch = Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, otherBase));
        Assert.Equal(SqlSyncErrorCode.PageDeltaBaseMismatch, mismatch.Code);
        Assert.Contains("nothing was applied", mismatch.Message, StringComparison.Ordinal);
        byte[] otherSize = (byte[])delta.Clone();
        otherSize[32] ^= 2;
        Assert.Equal(SqlSyncErrorCode.PageDeltaBaseMismatch, Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, otherSize)).Code);

        // Nothing changed, and the right delta still applies.
        Assert.Equal(before, replica.Checksum);
        Assert.Equal(lsn, replica.Range.Next);
        replica.ApplyReceived(lsn, delta);
        Assert.Equal(coordinator.Checksum, replica.Checksum);
        Assert.True(replica.CommittedPage(1).SequenceEqual(changed));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ADeltaForALaterLsnThanTheReplicaHoldsIsABaseMismatch()
    {
        var random = new Random(6);
        using PageStorage coordinator = Coordinator();
        using PageStorage replica = Open("replica");
        coordinator.Write(1, 0, RandomPage(random));
        Commit(coordinator, replica, useDelta: false);
        coordinator.Write(1, 0, RandomPage(random));
        Lsn skipped = coordinator.Commit()!.Value;
        coordinator.Write(1, 0, RandomPage(random));
        Lsn later = coordinator.Commit()!.Value;

        // Its base is the view at `skipped`, which the replica does not hold (a hostile or confused server).
        Assert.Equal(SqlSyncErrorCode.PageDeltaBaseMismatch,
            Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(skipped, coordinator.Deltas!.Get(later)!)).Code);
        Assert.Equal(skipped, replica.Range.Next);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void TheLogKeepsTheNewestDeltasWithinItsBytes()
    {
        var log = new PageDeltaLog(64 * 1024);
        var random = new Random(7);
        for (ulong lsn = 0; lsn < 100; lsn++)
        {
            byte[] incompressible = new byte[PageDelta.HeaderSize + 4 + PageSize];
            random.NextBytes(incompressible);
            log.Add(new Lsn(lsn), incompressible);
        }

        Assert.True(log.Bytes <= 64 * 1024, $"{log.Bytes} bytes kept");
        Assert.Equal(15, log.Count);
        Assert.Null(log.Get(new Lsn(84)));
        Assert.NotNull(log.Get(new Lsn(99)));

        // Larger than a quarter of the log: not kept, it goes as full pages.
        log.Add(new Lsn(100), RandomPageBytes(random, 5));
        Assert.Null(log.Get(new Lsn(100)));
    }

    internal static PageStorage Coordinator()
    {
        PageStorage storage = Open("coordinator");
        storage.Deltas = new PageDeltaLog(1 << 20);
        return storage;
    }

#pragma warning disable CA2000 // the storage owns its journal and disposes it
    internal static PageStorage Open(string name) => PageStorage.Open(name, new MemoryJournal());
#pragma warning restore CA2000

    /// <summary>Commits the coordinator's pending pages and hands the entry to the replica, as a delta or full.</summary>
    private static void Commit(PageStorage coordinator, PageStorage replica, bool useDelta)
    {
        Lsn lsn = coordinator.Commit()!.Value;
        byte[]? delta = coordinator.Deltas!.Get(lsn);
        Assert.NotNull(delta);
        Assert.True(PageDelta.IsDelta(delta));
        replica.ApplyReceived(lsn, useDelta ? delta : coordinator.Journal.Read(lsn));
    }

    private static byte[] RandomPage(Random random) => RandomPageBytes(random, 1);

    private static byte[] RandomPageBytes(Random random, int pages)
    {
        byte[] page = new byte[pages * PageSize];
        random.NextBytes(page);
        return page;
    }
}
