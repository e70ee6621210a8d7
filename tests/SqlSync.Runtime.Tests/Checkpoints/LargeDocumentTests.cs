using System.Diagnostics;
using System.Globalization;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;
using Xunit;
using Xunit.Abstractions;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// Documents larger than memory (decision 0026): the view reads checkpoint pages on demand through a bounded cache.
/// In a collection of its own that runs alone: the memory test measures the whole process.
/// </summary>
[Collection(LargeDocumentGroup.Name)]
public sealed class LargeDocumentTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;

    // Reading a payload loads every overflow page of its row, following the chain.
    private const string EveryPayloadSql =
        "SELECT count(*) FROM big WHERE length(head) = 16 AND substr(payload, ?1, 16) = x'00000000000000000000000000000000'";

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ADocumentThirtyTwoTimesItsPageCacheQueriesWithinTheCacheAndASmallConstant()
    {
        // 256 MiB with an 8 MiB cache by default (about 20 s on a loaded 2-core machine); SQLSYNC_LARGE_DOCUMENT_MIB=2048 (set by .ci/run)
        // runs issue 14's 2 GiB with 64 MiB (about 2.5 min there). The cache is a thirty-second of the database either way.
        int rows = int.TryParse(Environment.GetEnvironmentVariable("SQLSYNC_LARGE_DOCUMENT_MIB"), NumberStyles.None, CultureInfo.InvariantCulture, out int mib) ? mib : 256;
        long cacheBytes = Math.Max(1, rows / 32) * MiB;
        using var temp = new TempDirectory();
        string directory = temp.Sub("client");
        var clock = Stopwatch.StartNew();
        DatabaseImageBuilder.WriteClientCheckpoint(directory, rows);
        output.WriteLine($"written: {clock.Elapsed}");

        long baseline = SettledWorkingSet();
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            using var process = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                Thread.Sleep(20);
            }
        });

        long after;
        global::SqlSync.Storage.PageCache cache;
        using (var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "large", Reducer = Reducer, Directory = directory, PageCacheBytes = cacheBytes }))
        {
            Assert.True(client.Database.Storage.CommittedSizeInPages >= (uint)rows * 256, $"{client.Database.Storage.CommittedSizeInPages} pages");
            Assert.Equal((long)rows, client.QueryScalar<long>("SELECT count(*) FROM big"));
            Assert.Equal("0000000000000007", System.Text.Encoding.ASCII.GetString(client.QueryScalar<byte[]>("SELECT head FROM big WHERE id = 7")!));

            // Every payload read whole: every page of the database passes through the cache, which evicts.
            output.WriteLine($"opened: {clock.Elapsed}");
            Assert.Equal((long)rows, client.QueryScalar<long>(EveryPayloadSql, (long)DatabaseImageBuilder.PayloadBytes - 16));
            output.WriteLine($"scanned: {clock.Elapsed}");
            cache = client.Database.Storage.PageCache!;
            Assert.True(cache.Count <= cache.Capacity);
            // Each miss reads a run of up to ReadAheadPages pages from the file (decision 0030).
            Assert.True(cache.Misses * global::SqlSync.Storage.PageView.ReadAheadPages >= (long)rows * 256, $"{cache.Misses} misses: the payloads were not read from the file");
            Assert.Equal(0, client.Database.Storage.HeldPageCount); // no tail: everything comes from the checkpoint file
            after = SettledWorkingSet();
        }

        sampling.Cancel();
        await sampler.WaitAsync(TimeSpan.FromMinutes(1));

        // Generous bounds (the runtime, SQLite's own caches, the 8 bytes per page of index and of hashes, GC slack), yet
        // below the database: a view holding it would hold all of it.
        long held = after - baseline;
        long peaked = peak - baseline;
        output.WriteLine($"held {held / MiB} MiB, peak {peaked / MiB} MiB, cache {cacheBytes / MiB} MiB, database {rows} MiB");
        Assert.True(held < cacheBytes + 96 * MiB, $"{held / MiB} MiB held after the queries (cache {cacheBytes / MiB} MiB, database {rows} MiB)");
        Assert.True(peaked < cacheBytes + 192 * MiB, $"{peaked / MiB} MiB at the peak (cache {cacheBytes / MiB} MiB, database {rows} MiB)");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACheckpointPageCorruptedAfterOpenIsCheckpointCorruptNamingTheFileNotAWrongPage()
    {
        using var temp = new TempDirectory();
        string directory = temp.Sub("client");
        string path = DatabaseImageBuilder.WriteClientCheckpoint(directory, rows: 4);
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "corrupt", Reducer = Reducer, Directory = directory, PageCacheBytes = 8 * 4096 });
        Assert.Equal(4L, client.QueryScalar<long>("SELECT count(*) FROM big"));

        // Open checked the whole file; a page going bad afterwards is caught when it is read.
        uint last = client.Database.Storage.CommittedSizeInPages;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            file.Position = CheckpointHeader.PageOffset(last) + 100;
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x40));
        }

        var e = Assert.Throws<SqlSyncException>(() => client.QueryScalar<long>(EveryPayloadSql, (long)DatabaseImageBuilder.PayloadBytes - 16));
        Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, e.Code);
        Assert.Contains(CheckpointStore.LabelOf(path), e.Message, StringComparison.Ordinal);
        Assert.Contains($"page {last}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void AfterACheckpointTheViewRestsOnItsFileAndKeepsOnlyTheTailInMemory()
    {
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero, pageCacheBytes: 2 * 4096);
        fixture.Coordinator.Database.Storage.VerifyFullChecksum();
        fixture.Fill(200);
        global::SqlSync.Storage.PageStorage storage = fixture.Coordinator.Database.Storage;
        Assert.True(storage.HeldPageCount > 0); // no checkpoint yet: the journal's pages are all in memory

        fixture.Checkpoint();
        Assert.Equal(0, storage.HeldPageCount);
        var atCheckpoint = fixture.State();
        storage.VerifyFullChecksum(); // every page read back from the file (through a cache of 2 pages) hashes to the checksum

        fixture.Fill(30);
        int tail = storage.HeldPageCount;
        Assert.InRange(tail, 1, (int)storage.CommittedSizeInPages);
        fixture.Apply(new Fill(1_000, 300, 200)); // the database grows past the checkpoint's size
        var grown = fixture.State();
        storage.VerifyFullChecksum();

        fixture.Checkpoint(); // a second one: the view moves to it, the first file is deleted (retention zero)
        Assert.Equal(0, storage.HeldPageCount);
        Assert.Single(fixture.CheckpointFiles());
        Assert.Equal(grown, fixture.State());
        storage.VerifyFullChecksum();
        Assert.NotEqual(atCheckpoint, grown);

        fixture.Reopen();
        Assert.Equal(grown, fixture.State());
        fixture.Coordinator.Database.Storage.VerifyFullChecksum();
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void TheFileUnderTheViewStillReadsAfterItIsDeleted()
    {
        using var fixture = new CheckpointFixture(retention: TimeSpan.Zero, pageCacheBytes: 4096);
        fixture.Fill(10);
        fixture.Apply(new Fill(1_000, 300, 200));
        fixture.Checkpoint();
        var before = fixture.State();

        // Compaction (or an operator) deletes the file the view rests on: the open share still reads its bytes.
        foreach (string file in Directory.GetFiles(fixture.CheckpointDirectory))
        {
            File.Delete(file);
        }

        fixture.Coordinator.Database.Storage.VerifyFullChecksum();
        Assert.Equal(before, fixture.State());
        fixture.Fill(5);
        fixture.Checkpoint();
        Assert.Equal(0, fixture.Coordinator.Database.Storage.HeldPageCount);
        fixture.Coordinator.Database.Storage.VerifyFullChecksum();
    }

    private static long SettledWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
