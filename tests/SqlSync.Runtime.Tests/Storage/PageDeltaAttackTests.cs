using System.Buffers.Binary;
using SqlSync.Journals;
using SqlSync.Storage;
using Xunit;

namespace SqlSync.Runtime.Tests.Storage;

/// <summary>
/// A hostile or broken server's storage entries and page deltas (decision 0025): every one is refused with a clear
/// code, quickly, and the replica keeps exactly what it had; honest long chains still rebuild byte for byte.
/// </summary>
public sealed class PageDeltaAttackTests : IDisposable
{
    private const int PageSize = StorageFormat.PageSize;

    private readonly PageStorage _coordinator = PageDeltaTests.Coordinator();
    private readonly PageStorage _replica = PageDeltaTests.Open("replica");

    /// <summary>Both sides hold page 1 (filled with ones) at the first LSN.</summary>
    public PageDeltaAttackTests()
    {
        _coordinator.Write(1, 0, Page(1));
        ApplyFull(_coordinator, _replica);
    }

    public void Dispose()
    {
        _coordinator.Dispose();
        _replica.Dispose();
    }

    /// <summary>Generous: a refusal takes microseconds; the bug this guards against took hours (hashing billions of pages).</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnEntryClaimingABillionPagesIsRefusedAtOnceAndNothingIsApplied(bool asDelta)
    {
        PageStorage coordinator = _coordinator, replica = _replica;
        ulong before = replica.Checksum;

        // Four billion pages, one carried (or none): a 4 KiB message that would make the replica hash 16 TB of zeros
        // under its lock and then allocate an array of four billion pages.
        byte[] none = StorageEntry.Encode(0xFFFF_FFF0, 0, Array.Empty<KeyValuePair<uint, byte[]>>());
        byte[] one = StorageEntry.Encode(0xFFFF_FFF0, 0, [new(0xFFFF_FFF0, Page(2))]);
        foreach (byte[] entry in new[] { none, one })
        {
            byte[] sent = asDelta ? AsDelta(entry, replica) : entry;
            Task<SqlSyncException> refused = Task.Run(() => Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(replica.Range.Next, sent)));
            SqlSyncException error = await refused.WaitAsync(Deadline);
            Assert.Equal(SqlSyncErrorCode.StorageEntryCorrupt, error.Code);
            Assert.Contains("grows the database", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, replica.Checksum);
        Assert.Equal(1u, replica.CommittedSizeInPages);
        Assert.Equal(coordinator.Range.Next, replica.Range.Next);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void HonestGrowthIsTakenWhateverItsSizeAndPagesFreedInTheSameCommitMayLeaveHoles()
    {
        PageStorage coordinator = _coordinator, replica = _replica;

        // 300 new pages at once, every one written (SQLite writes each page it adds).
        for (uint page = 2; page <= 301; page++)
        {
            coordinator.Write(page, 0, Page((byte)page));
        }

        ApplyFull(coordinator, replica);

        // Growth with holes: pages added then freed in the same transaction are never written (SQLite's
        // DontWrite), the freelist trunk that lists them is. 900 holes behind one trunk and the last page.
        coordinator.Write(1, 0, Page(3));
        coordinator.Write(302, 0, Page(4));
        coordinator.Write(1203, 0, Page(5));
        ApplyFull(coordinator, replica);
        Assert.Equal(coordinator.Checksum, replica.Checksum);
        Assert.Equal(1203u, replica.CommittedSizeInPages);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void ADeltaForAPageBeyondTheDatabaseOrTwiceTheSamePageIsRefusedAndNothingIsApplied()
    {
        PageStorage coordinator = _coordinator, replica = _replica;
        coordinator.Write(2, 0, Page(2));
        ApplyFull(coordinator, replica);
        ulong before = replica.Checksum;
        Lsn next = replica.Range.Next;

        // Page 9 in a database of 2 pages; page 0; the same page twice; pages out of order.
        byte[][] hostile =
        [
            StorageEntry.Encode(2, 0, [new(1, Page(7)), new(9, Page(7))]),
            StorageEntry.Encode(2, 0, [new(0, Page(7))]),
            StorageEntry.Encode(2, 0, [new(2, Page(7)), new(2, Page(8))]),
            StorageEntry.Encode(2, 0, [new(2, Page(7)), new(1, Page(8))]),
        ];
        foreach (byte[] entry in hostile)
        {
            foreach (byte[] sent in new[] { entry, AsDelta(entry, replica) })
            {
                SqlSyncException error = Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(next, sent));
                Assert.Equal(SqlSyncErrorCode.StorageEntryCorrupt, error.Code);
            }
        }

        Assert.Equal(before, replica.Checksum);
        Assert.Equal(next, replica.Range.Next);
        Assert.True(replica.CommittedPage(1).SequenceEqual(Page(1)));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void ADeltaWhosePageCountOverflowsOrLiesIsCorruptNotACrash()
    {
        PageStorage coordinator = _coordinator, replica = _replica;
        coordinator.Write(1, 0, Page(2));
        Lsn lsn = coordinator.Commit()!.Value;
        byte[] delta = coordinator.Deltas!.Get(lsn)!;

        foreach (uint count in new uint[] { 0, 2, 0x7FFF_FFFF, 0x8000_0000, uint.MaxValue })
        {
            byte[] lie = (byte[])delta.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(lie.AsSpan(12), count);
            Assert.Equal(SqlSyncErrorCode.PageDeltaCorrupt, Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(lsn, lie)).Code);
        }

        // A delta of a delta (the magic of a delta where the rebuilt entry's would be) is not unwrapped twice.
        Assert.Equal(lsn, replica.Range.Next);
        replica.ApplyReceived(lsn, delta);
        Assert.Equal(coordinator.Checksum, replica.Checksum);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void AChainOfThousandsOfDeltasRebuildsExactlyAndABrokenLinkStopsItThere()
    {
        var random = new Random(11);
        PageStorage coordinator = _coordinator, replica = _replica;
        for (uint page = 1; page <= 4; page++)
        {
            coordinator.Write(page, 0, Page((byte)page));
        }

        ApplyFull(coordinator, replica);
        var deltas = new List<(Lsn Lsn, byte[] Delta)>();
        for (int i = 0; i < 3000; i++)
        {
            uint page = (uint)random.Next(1, 5);
            byte[] bytes = coordinator.CommittedPage(page).ToArray();
            bytes[random.Next(PageSize)] ^= (byte)(1 + random.Next(255));
            coordinator.Write(page, 0, bytes);
            Lsn lsn = coordinator.Commit()!.Value;
            deltas.Add((lsn, coordinator.Deltas!.Get(lsn)!));
        }

        // Skip one link: every later delta is against a base this replica never held.
        foreach ((Lsn lsn, byte[] delta) in deltas.Take(1000))
        {
            replica.ApplyReceived(lsn, delta);
        }

        ulong atBreak = replica.Checksum;
        Assert.Equal(SqlSyncErrorCode.PageDeltaBaseMismatch,
            Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(deltas[1000].Lsn, deltas[1001].Delta)).Code);
        Assert.Equal(atBreak, replica.Checksum);

        // The same delta twice: the second finds a base that moved on.
        replica.ApplyReceived(deltas[1000].Lsn, deltas[1000].Delta);
        Assert.Equal(SqlSyncErrorCode.PageDeltaBaseMismatch,
            Assert.Throws<SqlSyncException>(() => replica.ApplyReceived(deltas[1000].Lsn, deltas[1000].Delta)).Code);
        Assert.Equal(deltas[1001].Lsn, replica.Range.Next);

        foreach ((Lsn lsn, byte[] delta) in deltas.Skip(1001))
        {
            replica.ApplyReceived(lsn, delta);
        }

        Assert.Equal(coordinator.Checksum, replica.Checksum);
        replica.VerifyFullChecksum();
        for (uint page = 1; page <= 4; page++)
        {
            Assert.True(coordinator.CommittedPage(page).SequenceEqual(replica.CommittedPage(page)), $"page {page} differs");
        }
    }

    private static void ApplyFull(PageStorage coordinator, PageStorage replica)
    {
        Lsn lsn = coordinator.Commit()!.Value;
        replica.ApplyReceived(lsn, coordinator.Journal.Read(lsn));
    }

    /// <summary>A hostile server's delta of <paramref name="entry"/>: made against the replica's real base, so only its content is wrong.</summary>
    private static byte[] AsDelta(byte[] entry, PageStorage replica)
    {
        byte[] delta = new byte[PageDelta.HeaderSize + entry.Length - StorageEntry.HeaderSize];
        entry.AsSpan(0, StorageEntry.HeaderSize).CopyTo(delta);
        BinaryPrimitives.WriteUInt32LittleEndian(delta, PageDelta.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(delta.AsSpan(4), PageDelta.Version);
        BinaryPrimitives.WriteUInt64LittleEndian(delta.AsSpan(24), replica.Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(delta.AsSpan(32), replica.CommittedSizeInPages);
        entry.AsSpan(StorageEntry.HeaderSize).CopyTo(delta.AsSpan(PageDelta.HeaderSize));
        return delta;
    }

    private static byte[] Page(byte fill)
    {
        byte[] page = new byte[PageSize];
        page.AsSpan().Fill(fill);
        return page;
    }
}
