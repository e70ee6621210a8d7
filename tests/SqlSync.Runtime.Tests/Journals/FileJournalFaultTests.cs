using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// Write failures and read-only opens: a failed append leaves no part of a frame and the journal usable;
/// a read-only open changes nothing on disk, reports a torn tail and refuses a journal a writer holds.
/// Faults are injected through <see cref="StorageFaults.Inject"/>, filtered by this test's directory.
/// </summary>
[Collection(StorageFaultsGroup.Name)]
public sealed class FileJournalFaultTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact, Trait("Category", "Hostile")]
    public void A_failed_fsync_cuts_the_frame_it_wrote_and_the_journal_stays_usable()
    {
        string dir = _temp.Sub("fsync");
        using FileJournal journal = FileJournal.Open(dir, new FileJournalOptions { Label = "storage" });
        journal.Append(FileJournalTests.Payload(0, 100));
        string segment = Directory.GetFiles(dir, "*.seg").Single();
        long length = new FileInfo(segment).Length;

        StorageFaults.Inject = (path, operation) => path.StartsWith(dir, StringComparison.Ordinal) && operation == "flush"
            ? new IOException($"No space left on device : '{path}'", 28) : null;
        try
        {
            var error = Assert.Throws<SqlSyncException>(() => journal.Append(FileJournalTests.Payload(1, 5000)));
            Assert.Equal(SqlSyncErrorCode.JournalIo, error.Code);
            Assert.Contains("no space left on the device", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(dir, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            StorageFaults.Inject = null;
        }

        Assert.Equal(length, new FileInfo(segment).Length); // the frame was written, then cut: nothing half-visible
        Assert.Equal(new Lsn(1), journal.Range.Next);
        Assert.Equal(new Lsn(1), journal.Append(FileJournalTests.Payload(1, 10)));
        Assert.Equal(FileJournalTests.Payload(1, 10), journal.Read(new Lsn(1)).ToArray());
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_read_only_open_reports_a_torn_tail_and_changes_nothing()
    {
        string dir = _temp.Sub("torn");
        using (FileJournal journal = FileJournal.Open(dir))
        {
            journal.Append(FileJournalTests.Payload(0, 50));
            journal.Append(FileJournalTests.Payload(1, 50));
        }

        string segment = Directory.GetFiles(dir, "*.seg").Single();
        long whole = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Append, FileAccess.Write))
        {
            stream.Write(new byte[] { 50, 0, 0, 0, 2, 0 });
        }

        File.WriteAllBytes(Path.Combine(dir, "leftover.tmp"), new byte[] { 1 });
        File.Delete(Path.Combine(dir, FileJournal.LockFileName));
        string[] files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
        DateTime written = File.GetLastWriteTimeUtc(segment);

        using (FileJournal reader = FileJournal.OpenReadOnly(dir))
        {
            Assert.True(reader.IsReadOnly);
            Assert.Equal(new JournalTornTail(segment, new Lsn(2), whole, 6), reader.TornTail);
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(1)), reader.Range);
            Assert.Equal(FileJournalTests.Payload(1, 50), reader.Read(new Lsn(1)).ToArray());
            Assert.Equal(SqlSyncErrorCode.JournalReadOnly, Assert.Throws<SqlSyncException>(() => reader.Append(new byte[1])).Code);
        }

        Assert.Equal(whole + 6, new FileInfo(segment).Length);
        Assert.Equal(written, File.GetLastWriteTimeUtc(segment));
        Assert.Equal(files, Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray()); // no lock file made, no temp file deleted

        // The writer cuts it, and says so.
        using FileJournal writer = FileJournal.Open(dir);
        Assert.Equal(new JournalTornTail(segment, new Lsn(2), whole, 6), writer.TornTail);
        Assert.Equal(whole, new FileInfo(segment).Length);
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_read_only_open_of_a_journal_a_writer_holds_is_refused_as_in_use()
    {
        string dir = _temp.Sub("held");
        using (FileJournal writer = FileJournal.Open(dir))
        {
            writer.Append(FileJournalTests.Payload(0, 10));
            var error = Assert.Throws<SqlSyncException>(() => FileJournal.OpenReadOnly(dir));
            Assert.Equal(SqlSyncErrorCode.JournalInUse, error.Code);
        }

        using FileJournal reader = FileJournal.OpenReadOnly(dir);
        using FileJournal second = FileJournal.OpenReadOnly(dir); // readers take no lock: they never exclude each other
        Assert.Equal(new Lsn(1), reader.Range.Next);

        // A writer is not held back by readers.
        using FileJournal again = FileJournal.Open(dir);
        Assert.Equal(new Lsn(1), again.Range.Next);
    }

    [Fact, Trait("Category", "Hostile")]
    public void A_read_only_open_creates_nothing()
    {
        string dir = _temp.Sub("absent");
        Assert.Equal(SqlSyncErrorCode.JournalIo, Assert.Throws<SqlSyncException>(() => FileJournal.OpenReadOnly(dir)).Code);
        Assert.False(Directory.Exists(dir));

        Directory.CreateDirectory(dir);
        using FileJournal empty = FileJournal.OpenReadOnly(dir);
        Assert.True(empty.Range.IsEmpty);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
