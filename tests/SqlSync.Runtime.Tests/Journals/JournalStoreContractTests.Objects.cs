using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// The store's checkpoints and notes (decision 0037): checkpoints created only if their LSN is free and listed newest
/// first, notes replaced whole, a failed write leaving the previous content.
/// </summary>
public abstract partial class JournalStoreContractTests
{
    private readonly string _files = Path.Combine(Path.GetTempPath(), "sqlsync-storecontract-" + Guid.NewGuid().ToString("N"));

    private string FileWith(string name, byte[] bytes)
    {
        Directory.CreateDirectory(_files);
        string path = Path.Combine(_files, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Fetched(Lsn lsn)
    {
        Directory.CreateDirectory(_files);
        string path = Path.Combine(_files, "fetched-" + Guid.NewGuid().ToString("N"));
        Assert.True(Store.GetCheckpoint(lsn, path), $"the store holds the checkpoint at {lsn}");
        return path;
    }

    [Fact, Trait("Category", "Journal")]
    public void Checkpoints_round_trip_newest_first_and_are_deleted_one_by_one()
    {
        try
        {
            Assert.Empty(Store.Checkpoints());
            foreach (ulong lsn in new ulong[] { 40, 7, 1_000_000 })
            {
                Store.PutCheckpoint(new Lsn(lsn), FileWith($"c{lsn}", Payload((int)(lsn % 5))));
            }

            Assert.Equal([new Lsn(1_000_000), new Lsn(40), new Lsn(7)], Store.Checkpoints());
            Assert.Equal(Payload(40 % 5), File.ReadAllBytes(Fetched(new Lsn(40))));
            Assert.Equal(Payload(1_000_000 % 5), File.ReadAllBytes(Fetched(new Lsn(1_000_000))));
            Assert.False(Store.GetCheckpoint(new Lsn(8), Path.Combine(_files, "missing")));

            Store.DeleteCheckpoint(new Lsn(7));
            Store.DeleteCheckpoint(new Lsn(7)); // gone already: nothing
            Assert.Equal([new Lsn(1_000_000), new Lsn(40)], Store.Checkpoints());
        }
        finally
        {
            DeleteFiles();
        }
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_checkpoint_at_an_lsn_already_held_keeps_the_first()
    {
        try
        {
            Store.PutCheckpoint(new Lsn(5), FileWith("first", [1, 2, 3]));
            Store.PutCheckpoint(new Lsn(5), FileWith("second", [9, 9])); // a second writer, or a retry: same LSN, same pages
            Assert.Equal([1, 2, 3], File.ReadAllBytes(Fetched(new Lsn(5))));
            Assert.Equal([new Lsn(5)], Store.Checkpoints());
        }
        finally
        {
            DeleteFiles();
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Notes_are_replaced_whole_and_missing_ones_are_null()
    {
        Assert.Null(Store.ReadNote("owners/abc"));
        Store.WriteNote("owners/abc", [1, 2, 3, 4, 5]);
        Store.WriteNote("inflight", [7]);
        Store.WriteNote("owners/abc", [6]);
        Assert.Equal([6], Store.ReadNote("owners/abc")!);
        Assert.Equal([7], Store.ReadNote("inflight")!);
        Store.WriteNote("inflight", []);
        Assert.Equal([], Store.ReadNote("inflight")!);
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_failed_note_or_checkpoint_write_leaves_what_was_there()
    {
        try
        {
            Store.WriteNote("owners/abc", [1, 2]);
            string checkpoint = FileWith("c", Payload(2));
            using (FailWrites())
            {
                Assert.ThrowsAny<Exception>(() => Store.WriteNote("owners/abc", [3, 4, 5])); // IOException from files, JournalIo from others
                Assert.ThrowsAny<Exception>(() => Store.PutCheckpoint(new Lsn(3), checkpoint));
            }

            Assert.Equal([1, 2], Store.ReadNote("owners/abc")!);
            Assert.Empty(Store.Checkpoints());
            Store.PutCheckpoint(new Lsn(3), checkpoint);
            Assert.Equal(Payload(2), File.ReadAllBytes(Fetched(new Lsn(3))));
        }
        finally
        {
            DeleteFiles();
        }
    }

    private void DeleteFiles()
    {
        if (Directory.Exists(_files))
        {
            Directory.Delete(_files, recursive: true);
        }
    }
}
