using SqlSync.Journals;
using SqlSync.Storage;
using SqlSync.Storage.Checkpoints;
using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// Decision 0030: a miss reads a run of pages from the checkpoint file. Only sound pages go into the cache; a damaged
/// neighbour never fails the read of a sound page, and is found (<see cref="SqlSyncErrorCode.CheckpointCorrupt"/>)
/// when it is read itself.
/// </summary>
public sealed class PageReadAheadTests
{
    private const uint Pages = 40;

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void AMissReadsARunAndADamagedNeighbourIsOnlyFoundWhenItIsRead()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, "1.ckpt");
        using (var source = new PageView(null))
        {
            var pages = new List<KeyValuePair<uint, byte[]>>();
            for (uint page = 1; page <= Pages; page++)
            {
                byte[] bytes = new byte[StorageFormat.PageSize];
                bytes.AsSpan().Fill((byte)page);
                pages.Add(new(page, bytes));
            }

            var set = new PendingPageSet(pages);
            source.Apply(Pages, set, source.ChecksumAfter(Pages, set));
            using PageSnapshot snapshot = source.Snapshot(Lsn.Zero, new Lsn(1));
            CheckpointWriter.Write(path, snapshot);
        }

        using (FileStream file = File.OpenWrite(path))
        {
            file.Position = CheckpointHeader.PageOffset(5) + 100; // page 5, inside the first run read for page 1
            file.WriteByte(0xEE);
        }

        using var view = new PageView(64 * StorageFormat.PageSize);
        using (CheckpointFile checkpoint = CheckpointFile.Open(path, "1.ckpt"))
        {
            view.Load(checkpoint);
        }

        Assert.Equal((byte)1, view.Page(1)[0]); // reads pages 1..16: page 5 is left out of the cache
        Assert.Equal(1, view.Cache!.Misses);
        Assert.Equal(PageView.ReadAheadPages - 1, view.Cache.Count);
        for (uint page = 2; page <= PageView.ReadAheadPages; page++)
        {
            if (page != 5)
            {
                Assert.Equal((byte)page, view.Page(page)[4095]);
            }
        }

        Assert.Equal(1, view.Cache.Misses); // the run answered them
        SqlSyncException corrupt = Assert.Throws<SqlSyncException>(() => view.Page(5).ToArray());
        Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, corrupt.Code);
        Assert.Equal((byte)Pages, view.Page(Pages)[0]); // the last run stops at the last page
    }
}
