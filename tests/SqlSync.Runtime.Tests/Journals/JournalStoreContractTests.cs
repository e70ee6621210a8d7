using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// The behaviour every <see cref="IJournalStore"/> shares (decision 0031), run against each store: the journal
/// contract through the store (reopen = a new handle), then ranges over batches, prefix drops, children, failed
/// and torn writes, concurrent readers and fencing. A store test class supplies the store and its faults.
/// </summary>
public abstract partial class JournalStoreContractTests : JournalContractTests
{
    private const string Name = "storage";

    private protected abstract IJournalStore Store { get; }

    /// <summary>True when the store fences a second writer at open (files: the lock file), not at its append.</summary>
    private protected virtual bool FencesAtOpen => false;

    /// <summary>Makes every write to the store fail until the returned scope is disposed.</summary>
    private protected abstract IDisposable FailWrites();

    /// <summary>Leaves in the store what a crash part-way through appending <paramref name="entry"/> at <paramref name="lsn"/> would.</summary>
    private protected abstract void TearWrite(string name, Lsn lsn, byte[] entry);

    private protected override IJournal Create() => Store.Open(Name, batched: false, fsyncOnAppend: true, FileJournalOptions.DefaultSegmentSizeBytes);

    private protected override IJournal Reopen(IJournal journal)
    {
        journal.Dispose();
        return Create();
    }

    private IJournal OpenBatched(string name) => Store.Open(name, batched: true, fsyncOnAppend: true, FileJournalOptions.DefaultSegmentSizeBytes);

    /// <summary>Deterministic entry <paramref name="i"/>, of sizes from empty to 70 KB.</summary>
    private static byte[] Payload(int i)
    {
        byte[] bytes = new byte[(i % 5) switch { 0 => 0, 1 => 3, 2 => 70_000, 3 => 4096, _ => 200 }];
        new Random(i).NextBytes(bytes);
        return bytes;
    }

    [Fact, Trait("Category", "Journal")]
    public void Batched_appends_read_back_by_range_after_reopen()
    {
        using (IJournal journal = OpenBatched("timelines/a"))
        {
            for (int i = 0; i < 120; i++)
            {
                journal.Append(Payload(i));
                if (i % 17 == 16)
                {
                    journal.Flush();
                }
            }

            journal.Flush();
        }

        using IJournal reopened = OpenBatched("timelines/a");
        Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(119)), reopened.Range);
        foreach (int i in new[] { 119, 0, 16, 17, 18, 60, 33, 34, 1 })
        {
            Assert.Equal(Payload(i), reopened.Read(new Lsn((ulong)i)).ToArray());
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Children_name_the_journals_under_a_name()
    {
        foreach (string name in new[] { "timelines/b", "timelines/a", "timeline" })
        {
            using IJournal journal = OpenBatched(name);
            journal.Append([1]);
            journal.Flush();
        }

        Assert.Equal(["a", "b"], Store.Children("timelines"));
        Assert.Empty(Store.Children("nothing"));
    }

    [Fact, Trait("Category", "Journal")]
    public void A_prefix_dropped_between_batches_stays_dropped_after_reopen()
    {
        using (IJournal journal = OpenBatched(Name))
        {
            for (int i = 0; i < 30; i++)
            {
                journal.Append(Payload(i));
                if (i % 4 == 3)
                {
                    journal.Flush();
                }
            }

            journal.Flush();
            journal.DropPrefix(new Lsn(9)); // inside a batch: the batch's later entries stay readable
        }

        using IJournal reopened = OpenBatched(Name);
        Assert.Equal(LsnRange.Inclusive(new Lsn(10), new Lsn(29)), reopened.Range);
        Assert.Equal(Payload(10), reopened.Read(new Lsn(10)).ToArray());
        Assert.Equal(SqlSyncErrorCode.JournalOutOfRange, Assert.Throws<SqlSyncException>(() => reopened.Read(new Lsn(9))).Code);
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_failed_write_loses_nothing_acknowledged_and_leaves_nothing_half_written()
    {
        IJournal journal = OpenBatched(Name);
        for (int i = 0; i < 3; i++)
        {
            journal.Append(Payload(i));
        }

        journal.Flush(); // acknowledged: 0..2

        using (FailWrites())
        {
            var error = Assert.Throws<SqlSyncException>(() =>
            {
                journal.Append(Payload(3));
                journal.Append(Payload(4));
                journal.Flush();
            });
            Assert.NotEqual(SqlSyncErrorCode.JournalFenced, error.Code);
        }

        journal.Dispose();
        using IJournal reopened = OpenBatched(Name);
        LsnRange range = reopened.Range;
        Assert.Equal(Lsn.Zero, range.First);
        Assert.True(range.Next == new Lsn(3) || range.Next == new Lsn(5), $"a batch is all there or not at all; found {range}");
        for (int i = 0; i < (int)range.Count; i++)
        {
            Assert.Equal(Payload(i), reopened.Read(new Lsn((ulong)i)).ToArray());
        }

        Lsn next = range.Next;
        reopened.Append(Payload(9));
        reopened.Flush();
        Assert.Equal(Payload(9), reopened.Read(next).ToArray());
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_torn_write_is_invisible_and_the_next_append_takes_its_lsn()
    {
        using (IJournal journal = OpenBatched(Name))
        {
            journal.Append(Payload(0));
            journal.Append(Payload(1));
            journal.Flush();
        }

        TearWrite(Name, new Lsn(2), Payload(2));
        using IJournal reopened = OpenBatched(Name);
        Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(1)), reopened.Range);
        Assert.Equal(new Lsn(2), reopened.Append([7, 7]));
        reopened.Flush();
        Assert.Equal([7, 7], reopened.Read(new Lsn(2)).ToArray());
    }

    [Fact, Trait("Category", "Journal")]
    public async Task Concurrent_readers_each_read_every_entry()
    {
        using (IJournal journal = OpenBatched(Name))
        {
            for (int i = 0; i < 40; i++)
            {
                journal.Append(Payload(i));
            }

            journal.Flush();
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(reader => Task.Run(() =>
        {
            using IJournal journal = Store.OpenReadOnly(Name);
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(39)), journal.Range);
            for (int n = 0; n < 40; n++)
            {
                int i = (n * 7 + reader) % 40;
                Assert.Equal(Payload(i), journal.Read(new Lsn((ulong)i)).ToArray());
            }
        })));
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_second_writer_can_never_extend_the_same_history()
    {
        using IJournal first = OpenBatched(Name);
        first.Append(Payload(0));
        first.Flush();
        if (FencesAtOpen)
        {
            Assert.Throws<SqlSyncException>(() => OpenBatched(Name));
            return;
        }

        using IJournal second = OpenBatched(Name);
        Assert.Equal(new Lsn(1), second.Range.Next);
        first.Append([1, 1, 1]);
        first.Flush();
        var fenced = Assert.Throws<SqlSyncException>(() =>
        {
            second.Append([2, 2]);
            second.Flush();
        });
        Assert.Equal(SqlSyncErrorCode.JournalFenced, fenced.Code);

        using IJournal reader = Store.OpenReadOnly(Name);
        Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(1)), reader.Range);
        Assert.Equal([1, 1, 1], reader.Read(new Lsn(1)).ToArray());
    }
}
