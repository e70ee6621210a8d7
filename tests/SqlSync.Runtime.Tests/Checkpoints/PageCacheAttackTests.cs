using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using SqlSync.Storage.Checkpoints;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// The larger-than-memory page cache (decision 0026) at its limits: sizes of zero, one page and "unlimited", and
/// eviction while readers on other connections and the writer use a document whose cache holds one page.
/// </summary>
public sealed class PageCacheAttackTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData(long.MinValue, 1)]
    [InlineData(-1L, 1)]
    [InlineData(0L, 1)]
    [InlineData(4095L, 1)]
    [InlineData(4096L, 1)]
    [InlineData(8191L, 1)]
    [InlineData(3 * 4096L, 3)]
    public void ACacheOfZeroOrOnePageHoldsOnePageAndServesTheRightBytes(long bytes, int capacity)
    {
        var cache = new PageCache(bytes);
        Assert.Equal(capacity, cache.Capacity);
        for (uint page = 1; page <= 100; page++)
        {
            cache.Add(page, PageOf(page));
            Assert.True(cache.Count <= capacity);
            Assert.True(cache.TryGet(page, out byte[] got));
            Assert.Equal(page, BitConverter.ToUInt32(got));
        }

        cache.RemoveAbove(0);
        Assert.Equal(0, cache.Count);
        cache.Add(7, PageOf(7));
        cache.Clear();
        Assert.False(cache.TryGet(7, out _));
    }

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData(long.MaxValue)]
    [InlineData(1L << 40)]
    public void AnUnlimitedCacheSizeCostsNothingUntilPagesArrive(long bytes)
    {
        // "As much as it takes": a cache that allocates its bound up front would ask for gigabytes at open.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var cache = new PageCache(bytes);
        for (uint page = 1; page <= 1000; page++)
        {
            cache.Add(page, PageOf(page));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000 * (4096 + 1024) + (1 << 20), $"{allocated:N0} bytes allocated for 1,000 pages");
        Assert.Equal(1000, cache.Count);
        for (uint page = 1; page <= 1000; page++)
        {
            Assert.True(cache.TryGet(page, out byte[] got));
            Assert.Equal(page, BitConverter.ToUInt32(got));
        }
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void ConcurrentReadersAndAWriterNeverSeeAnotherPagesBytes()
    {
        var cache = new PageCache(3 * 4096);
        int failures = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            for (int i = 0; i < 200_000; i++)
            {
                uint page = (uint)random.Next(1, 9);
                if (cache.TryGet(page, out byte[] got))
                {
                    if (BitConverter.ToUInt32(got) != page)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                else
                {
                    cache.Add(page, PageOf(page));
                }

                switch (t == 0 ? random.Next(100) : -1)
                {
                    case 0: cache.Remove(page); break;
                    case 1: cache.RemoveAbove(4); break;
                    case 2: cache.Clear(); break;
                }

                if (cache.Count > cache.Capacity)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(Deadline), "a cache operation hung"));
        Assert.Equal(0, failures);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ADocumentWithAOnePageCacheServesConcurrentReadersWhileItsWriterMutates()
    {
        using var temp = new TempDirectory();
        using var server = new CheckpointFixture();
        server.Apply(new CreateSchema());
        server.Apply(Enumerable.Range(1, 300).Select(i => (IMutation)new Insert(i, new string((char)('a' + (i % 26)), 1500), 1)).ToArray());
        server.Checkpoint();
        string path = new CheckpointStore(server.Directory, readOnly: true).PathFor(server.Coordinator.NewestCheckpointLsn!.Value);
        byte[] checkpoint = File.ReadAllBytes(path);

        // Zero or less is refused with a clear error; one page is the least; "unlimited" opens without allocating it.
        foreach (long bytes in new[] { 0L, -1L, long.MinValue })
        {
            SqlSyncException refused = Assert.Throws<SqlSyncException>(() =>
                LocalDocument.Open(new LocalDocumentOptions { DocumentId = "ckpt", Reducer = Reducer, Directory = temp.Sub("refused"), PageCacheBytes = bytes }).Dispose());
            Assert.Contains("at least one page", refused.Message, StringComparison.Ordinal);
        }

        using (var unlimited = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "ckpt", Reducer = Reducer, Directory = temp.Sub("unlimited"), PageCacheBytes = long.MaxValue }))
        {
            Assert.NotNull(unlimited.ReceiveCheckpointChunk(server.Coordinator.NewestCheckpointLsn!.Value, checkpoint.Length, 0, 0, checkpoint).Installed);
            Assert.Equal(300L, (long)unlimited.Query("SELECT count(*) FROM items")[0][0]!);
        }

        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "ckpt", Reducer = Reducer, Directory = temp.Sub("client"), PageCacheBytes = StorageFormat.PageSize });
        Assert.NotNull(client.ReceiveCheckpointChunk(server.Coordinator.NewestCheckpointLsn!.Value, checkpoint.Length, 0, 0, checkpoint).Installed);
        Assert.Equal(server.Coordinator.StorageChecksum, client.StorageChecksum);
        long names = (long)client.Query("SELECT sum(length(name)) FROM items")[0][0]!;

        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            using var connection = new SqliteConnection(client.ReadOnlyConnectionString);
            connection.Open();
            long lastQuantity = 0;
            int reads = 0;
            while (!stop.IsCancellationRequested || reads == 0)
            {
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = "SELECT count(*), sum(length(name)), sum(qty) FROM items";
                using SqliteDataReader row = command.ExecuteReader();
                Assert.True(row.Read());
                Assert.Equal(300L, row.GetInt64(0));
                Assert.Equal(names, row.GetInt64(1));
                long quantity = row.GetInt64(2);
                Assert.True(quantity >= lastQuantity, $"a reader saw the total go back from {lastQuantity} to {quantity}");
                lastQuantity = quantity;
                reads++;
            }

            return reads;
        })).ToList();

        for (int i = 0; i < 300; i++)
        {
            client.Mutate(new AddQuantity(1 + (i * 7 % 300), 1));
        }

        stop.Cancel();
        int[] counts = await Task.WhenAll(readers).WaitAsync(Deadline);
        Assert.All(counts, c => Assert.True(c > 0));
        Assert.Equal(600L, (long)client.Query("SELECT sum(qty) FROM items")[0][0]!);
        Assert.Equal("ok", client.Query("PRAGMA integrity_check")[0][0]);
    }

    private static byte[] PageOf(uint page)
    {
        byte[] bytes = new byte[StorageFormat.PageSize];
        BitConverter.TryWriteBytes(bytes, page);
        return bytes;
    }
}
