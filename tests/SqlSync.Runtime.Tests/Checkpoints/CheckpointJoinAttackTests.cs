using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// A hostile or broken server's checkpoint download (decisions 0018, 0027), fed to a client slice by slice: larger
/// than announced, out of order, twice, older than what the client holds, another checkpoint's bytes, cut at every
/// point and resumed after a restart, and a client checkpoint damaged on disk at open.
/// </summary>
public sealed class CheckpointJoinAttackTests : IDisposable
{
    private readonly CheckpointFixture _server = new();
    private readonly TempDirectory _clients = new();
    private readonly Lsn _lsn;
    private readonly byte[] _checkpoint;
    private readonly uint _pages;

    public CheckpointJoinAttackTests()
    {
        _server.Fill(updates: 200);
        _server.Checkpoint();
        _lsn = _server.Coordinator.NewestCheckpointLsn!.Value;
        string path = new CheckpointStore(_server.Directory, readOnly: true).PathFor(_lsn);
        _checkpoint = File.ReadAllBytes(path);
        using CheckpointFile file = CheckpointFile.Open(path, "server");
        _pages = file.Header.DatabaseSizeInPages;
    }

    private LocalDocument Client(string name) =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = "ckpt", Reducer = Reducer, Directory = _clients.Sub(name) });

    private string[] Parts(string name) => Directory.Exists(Path.Combine(_clients.Sub(name), "checkpoints"))
        ? Directory.GetFiles(Path.Combine(_clients.Sub(name), "checkpoints"), "*.part")
        : Array.Empty<string>();

    private CheckpointChunkResult Send(LocalDocument client, long offset, int length, long? total = null, Lsn? lsn = null, byte[]? bytes = null) =>
        client.ReceiveCheckpointChunk(lsn ?? _lsn, total ?? _checkpoint.Length, _pages, offset, (bytes ?? _checkpoint).AsSpan((int)offset, length));

    private void AssertJoined(LocalDocument client)
    {
        Assert.Equal(_server.Coordinator.StorageChecksum, client.StorageChecksum);
        Assert.Equal(_server.Coordinator.StorageRange.Next, client.StorageRange.Next);
        Assert.Equal(_server.State().Rows, string.Join(";", client.Query("SELECT id, qty FROM items WHERE id < 1000 ORDER BY id").Select(r => $"{r[0]}={r[1]}")));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void SlicesOutOfOrderOrTwiceAreIgnoredAndTheDownloadStillCompletesExactly()
    {
        using LocalDocument client = Client("shuffled");
        client.Mutate(new CreateSchema()); // pending before it ever synced: rebased on top at the end
        client.Mutate(new Insert(1_000, "offline", 7));
        const int Slice = 3000;
        var random = new Random(21);
        long held = 0;
        int sent = 0;
        CheckpointChunkResult result = default;
        while (result.Installed is null)
        {
            Assert.True(++sent < 10_000, "the download never completed");
            long offset = random.Next(3) switch
            {
                0 => held,                                                 // the right slice
                1 => Math.Max(0, held - Slice),                            // the previous one again
                _ => Math.Min(_checkpoint.Length - 1, held + Slice + 1),   // one from further on
            };
            int length = (int)Math.Min(Slice, _checkpoint.Length - offset);
            result = Send(client, offset, length);
            Assert.False(result.Corrupt);
            long expected = offset == held ? held + length : held; // a slice not where the held bytes end is ignored
            Assert.Equal(expected, result.Installed is null ? result.Received : _checkpoint.Length);
            held = expected;
        }

        AssertJoined(client);
        Assert.Equal(7L, (long)client.Query("SELECT qty FROM items WHERE id = 1000")[0][0]!);
        Assert.Empty(Parts("shuffled"));
    }

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData(-100)]  // more bytes than announced, the last slice crossing the announced end
    [InlineData(-4096)] // the announced end falls on a slice boundary: the file is complete by the count, short by its header
    [InlineData(+100)]  // fewer bytes than announced: never complete
    public void ACheckpointOfAnotherSizeThanAnnouncedIsNeverInstalledAndNeverHeldPastItsAnnouncedSize(int lie)
    {
        using LocalDocument client = Client("lie");
        long announced = _checkpoint.Length + lie;
        long held = 0;
        bool corrupt = false;
        for (long offset = 0; offset < _checkpoint.Length; offset += 4096)
        {
            CheckpointChunkResult result = Send(client, offset, (int)Math.Min(4096, _checkpoint.Length - offset), total: announced);
            Assert.Null(result.Installed);
            Assert.True(result.Received <= announced, $"holds {result.Received} bytes of an announced {announced}");
            foreach (string part in Parts("lie"))
            {
                Assert.True(new FileInfo(part).Length <= announced, $"a part of {new FileInfo(part).Length} bytes for {announced} announced");
            }

            corrupt |= result.Corrupt;
            held = result.Received;
            if (result.Corrupt)
            {
                Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, result.Error!.Code);
                break;
            }
        }

        Assert.True(lie > 0 ? !corrupt && held == _checkpoint.Length : corrupt, $"lie {lie}: corrupt {corrupt}, held {held}");
        Assert.True(client.StorageRange.IsEmpty, "nothing was installed");
        Assert.Equal(0L, client.Query("SELECT count(*) FROM sqlite_master")[0][0]);

        // The honest download afterwards installs.
        long next = Send(client, 0, 0).Received;
        CheckpointChunkResult last = default;
        for (long offset = next; offset < _checkpoint.Length; offset = last.Received)
        {
            last = Send(client, offset, (int)Math.Min(8192, _checkpoint.Length - offset));
            if (last.Installed is not null)
            {
                break;
            }
        }

        AssertJoined(client);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void AnotherCheckpointsBytesUnderThisLsnAndAnOlderCheckpointAreRefusedOrIgnored()
    {
        // An older checkpoint of the same document, then a newer one.
        byte[] older = _checkpoint;
        Lsn olderLsn = _lsn;
        _server.Fill(updates: 50);
        _server.Checkpoint();
        Lsn newerLsn = _server.Coordinator.NewestCheckpointLsn!.Value;
        byte[] newer = File.ReadAllBytes(new CheckpointStore(_server.Directory, readOnly: true).PathFor(newerLsn));
        Assert.True(newerLsn > olderLsn);

        using LocalDocument client = Client("mixed");

        // The older checkpoint's bytes offered as the newer LSN: complete by size only if the sizes match; either way
        // never installed as the newer state.
        CheckpointChunkResult wrong = client.ReceiveCheckpointChunk(newerLsn, older.Length, _pages, 0, older);
        Assert.True(wrong.Corrupt, "a checkpoint covering another LSN than offered was installed");
        Assert.Contains("not " + newerLsn, wrong.Error!.Message, StringComparison.Ordinal);
        Assert.True(client.StorageRange.IsEmpty);

        // The newer one installs; the older one offered afterwards changes nothing.
        CheckpointChunkResult installed = client.ReceiveCheckpointChunk(newerLsn, newer.Length, _pages, 0, newer);
        Assert.NotNull(installed.Installed);
        ulong checksum = client.StorageChecksum;
        CheckpointChunkResult stale = client.ReceiveCheckpointChunk(olderLsn, older.Length, _pages, 0, older);
        Assert.Equal(client.StorageRange, stale.Installed); // "holds that state already": where it stands
        Assert.Equal(checksum, client.StorageChecksum);
        Assert.Equal(newerLsn, client.NewestCheckpointLsn);
        Assert.Empty(Parts("mixed"));
        AssertJoined(client);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void ADownloadCutAtAnyPointAndResumedAfterARestartIsExactAndSendsNothingTwice()
    {
        var cuts = new SortedSet<long> { 0, 1, 63, 64, 4095, 4096, 4097, _checkpoint.Length - 1 };
        for (long cut = 509; cut < _checkpoint.Length; cut += 1531)
        {
            cuts.Add(cut);
        }

        foreach (long cut in cuts)
        {
            string name = "cut" + cut;
            using (LocalDocument first = Client(name))
            {
                for (long offset = 0; offset < cut; offset += 1000)
                {
                    Assert.Equal(Math.Min(cut, offset + 1000), Send(first, offset, (int)Math.Min(1000, cut - offset)).Received);
                }
            } // the process stops mid-download

            using LocalDocument again = Client(name);
            long resume = Send(again, 0, 0).Received; // the offer: where the client stands
            Assert.Equal(cut, resume);
            CheckpointChunkResult result = Send(again, resume, (int)(_checkpoint.Length - resume));
            Assert.NotNull(result.Installed);
            AssertJoined(again);
        }
    }

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData("page")]
    [InlineData("header")]
    [InlineData("truncated")]
    [InlineData("empty")]
    public void AClientCheckpointDamagedOnDiskIsAClearErrorNamingTheFileAndLosesNothingPending(string damage)
    {
        string name = "damaged-" + damage;
        string checkpoint;
        using (LocalDocument client = Client(name))
        {
            Assert.NotNull(Send(client, 0, _checkpoint.Length).Installed);
            client.Mutate(new Insert(2_000, "pending", 3)); // not yet uploaded
            checkpoint = new CheckpointStore(_clients.Sub(name), readOnly: true).PathFor(_lsn);
            Assert.True(File.Exists(checkpoint));
        }

        byte[] good = File.ReadAllBytes(checkpoint);
        byte[] bad = damage switch
        {
            "page" => Flip(good, (2 * 4096) + 17),
            "header" => Flip(good, 9),
            "truncated" => good.AsSpan(0, good.Length - 5000).ToArray(),
            _ => Array.Empty<byte>(),
        };
        File.WriteAllBytes(checkpoint, bad);

        SqlSyncException error = Assert.Throws<SqlSyncException>(() => Client(name).Dispose());
        Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, error.Code);
        Assert.Contains(Path.GetFileName(checkpoint), error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(checkpoint), "the damaged file is kept for the user to look at");

        // Restored from a backup: the pending mutation is still there, nothing was dropped by the failed open.
        File.WriteAllBytes(checkpoint, good);
        using LocalDocument restored = Client(name);
        Assert.Equal(1, restored.PendingMutationCount);
        Assert.Equal(3L, (long)restored.Query("SELECT qty FROM items WHERE id = 2000")[0][0]!);
    }

    private static byte[] Flip(byte[] bytes, int offset)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[offset] ^= 0x5A;
        return copy;
    }

    public void Dispose()
    {
        _server.Dispose();
        _clients.Dispose();
    }
}
