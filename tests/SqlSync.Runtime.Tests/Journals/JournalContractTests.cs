using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// The behaviour every <see cref="IJournal"/> shares, written once and run against each implementation.
/// <see cref="Reopen"/> lets a durable journal prove the behaviour survives closing and opening again.
/// </summary>
public abstract class JournalContractTests : IDisposable
{
    private protected abstract IJournal Create();

    /// <summary>Closes and reopens a durable journal; a memory journal returns itself.</summary>
    private protected abstract IJournal Reopen(IJournal journal);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static byte[] Entry(int i) => [(byte)i, (byte)(i >> 8), 0xAB];

    [Fact, Trait("Category", "Journal")]
    public void New_journal_is_empty_at_zero()
    {
        using IJournal journal = Create();
        Assert.True(journal.Range.IsEmpty);
        Assert.Equal(Lsn.Zero, journal.Range.Next);
    }

    [Fact, Trait("Category", "Journal")]
    public void Append_returns_dense_lsns_and_read_returns_each_entry()
    {
        IJournal journal = Create();
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(new Lsn((ulong)i), journal.Append(Entry(i)));
        }

        journal = Reopen(journal);
        using (journal)
        {
            Assert.Equal(LsnRange.Inclusive(new Lsn(0), new Lsn(9)), journal.Range);
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(Entry(i), journal.Read(new Lsn((ulong)i)).ToArray());
            }
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Empty_entries_round_trip()
    {
        IJournal journal = Create();
        journal.Append(ReadOnlySpan<byte>.Empty);
        journal.Append([1]);
        journal = Reopen(journal);
        using (journal)
        {
            Assert.Empty(journal.Read(new Lsn(0)).ToArray());
            Assert.Equal([1], journal.Read(new Lsn(1)).ToArray());
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Read_outside_range_throws_out_of_range()
    {
        using IJournal journal = Create();
        AssertOutOfRange(() => journal.Read(Lsn.Zero));
        journal.Append(Entry(0));
        journal.Append(Entry(1));
        AssertOutOfRange(() => journal.Read(new Lsn(2)));
        AssertOutOfRange(() => journal.Read(new Lsn(ulong.MaxValue)));
        journal.DropPrefix(Lsn.Zero);
        AssertOutOfRange(() => journal.Read(Lsn.Zero));
        Assert.Equal(Entry(1), journal.Read(new Lsn(1)).ToArray());
    }

    [Fact, Trait("Category", "Journal")]
    public void AppendAt_on_a_fresh_journal_starts_anywhere_and_survives_reopen()
    {
        IJournal journal = Create();
        journal.AppendAt(new Lsn(1000), Entry(1000));
        Assert.Equal(LsnRange.Inclusive(new Lsn(1000), new Lsn(1000)), journal.Range);
        journal = Reopen(journal);
        using (journal)
        {
            Assert.Equal(LsnRange.Inclusive(new Lsn(1000), new Lsn(1000)), journal.Range);
            Assert.Equal(new Lsn(1001), journal.Append(Entry(1001)));
            Assert.Equal(Entry(1000), journal.Read(new Lsn(1000)).ToArray());
            AssertOutOfRange(() => journal.Read(new Lsn(999)));
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void AppendAt_on_a_used_journal_must_be_at_next()
    {
        IJournal journal = Create();
        journal.Append(Entry(0));
        AssertOutOfRange(() => journal.AppendAt(new Lsn(5), Entry(5)));
        AssertOutOfRange(() => journal.AppendAt(Lsn.Zero, Entry(0)));
        journal.AppendAt(new Lsn(1), Entry(1));
        journal = Reopen(journal);
        using (journal)
        {
            AssertOutOfRange(() => journal.AppendAt(new Lsn(7), Entry(7)));
            journal.AppendAt(new Lsn(2), Entry(2));
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(2)), journal.Range);
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void A_journal_emptied_by_DropPrefix_is_not_fresh()
    {
        IJournal journal = Create();
        journal.Append(Entry(0));
        journal.Append(Entry(1));
        journal.DropPrefix(new Lsn(1));
        journal = Reopen(journal);
        using (journal)
        {
            Assert.Equal(LsnRange.EmptyAt(new Lsn(2)), journal.Range);
            AssertOutOfRange(() => journal.AppendAt(new Lsn(50), Entry(50)));
            journal.AppendAt(new Lsn(2), Entry(2));
            Assert.Equal(LsnRange.Inclusive(new Lsn(2), new Lsn(2)), journal.Range);
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void DropPrefix_keeps_numbering()
    {
        IJournal journal = Create();
        for (int i = 0; i < 5; i++)
        {
            journal.Append(Entry(i));
        }

        journal.DropPrefix(new Lsn(2));
        Assert.Equal(LsnRange.Inclusive(new Lsn(3), new Lsn(4)), journal.Range);
        journal.DropPrefix(new Lsn(1)); // before the first live LSN: nothing changes
        journal = Reopen(journal);
        using (journal)
        {
            Assert.Equal(LsnRange.Inclusive(new Lsn(3), new Lsn(4)), journal.Range);
            AssertOutOfRange(() => journal.Read(new Lsn(2)));
            Assert.Equal(Entry(3), journal.Read(new Lsn(3)).ToArray());
            Assert.Equal(new Lsn(5), journal.Append(Entry(5)));
            journal.DropPrefix(new Lsn(100)); // past the end: drops everything, numbering goes on
            Assert.Equal(LsnRange.EmptyAt(new Lsn(6)), journal.Range);
            Assert.Equal(new Lsn(6), journal.Append(Entry(6)));
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void DropPrefix_on_an_empty_journal_does_nothing()
    {
        using IJournal journal = Create();
        journal.DropPrefix(new Lsn(10));
        Assert.Equal(LsnRange.EmptyAt(Lsn.Zero), journal.Range);
        journal.AppendAt(new Lsn(3), Entry(3));
        Assert.Equal(new Lsn(3), journal.Range.First);
    }

    [Fact, Trait("Category", "Journal")]
    public void Use_after_dispose_throws_closed()
    {
        IJournal journal = Create();
        journal.Append(Entry(0));
        journal.Dispose();
        journal.Dispose(); // idempotent
        AssertCode(SqlSyncErrorCode.JournalClosed, () => journal.Append(Entry(1)));
        AssertCode(SqlSyncErrorCode.JournalClosed, () => journal.AppendAt(new Lsn(1), Entry(1)));
        AssertCode(SqlSyncErrorCode.JournalClosed, () => journal.Read(Lsn.Zero));
        AssertCode(SqlSyncErrorCode.JournalClosed, () => journal.DropPrefix(Lsn.Zero));
        AssertCode(SqlSyncErrorCode.JournalClosed, journal.Flush);
    }

    private static void AssertOutOfRange(Action action) => AssertCode(SqlSyncErrorCode.JournalOutOfRange, action);

    private static void AssertOutOfRange(Func<ReadOnlyMemory<byte>> read) =>
        AssertCode(SqlSyncErrorCode.JournalOutOfRange, () => read());

    private static void AssertCode(SqlSyncErrorCode code, Action action) =>
        Assert.Equal(code, Assert.Throws<SqlSyncException>(action).Code);
}
