using Xunit;

namespace SqlSync.Journals;

public sealed class FileJournalTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("journal");

    public void Dispose() => _temp.Dispose();

    /// <summary>Deterministic content for entry <paramref name="i"/> of <paramref name="size"/> bytes.</summary>
    internal static byte[] Payload(int i, int size)
    {
        byte[] bytes = new byte[size];
        new Random(i).NextBytes(bytes);
        return bytes;
    }

    private static int SizeFor(int i) => (i % 7) switch
    {
        0 => 0,
        1 => 1,
        2 => 70_000, // larger than 64 KiB
        3 => 200,
        4 => 4096,
        5 => 13,
        _ => i % 3 == 0 ? 300_000 : 64,
    };

    private string[] SegmentFiles() =>
        Directory.GetFiles(Dir, "*.seg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact, Trait("Category", "Journal")]
    public void Many_entries_of_varied_sizes_round_trip_and_survive_reopen()
    {
        const int count = 150;
        using (FileJournal journal = FileJournal.Open(Dir))
        {
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(new Lsn((ulong)i), journal.Append(Payload(i, SizeFor(i))));
            }

            for (int i = 0; i < count; i++)
            {
                Assert.Equal(Payload(i, SizeFor(i)), journal.Read(new Lsn((ulong)i)).ToArray());
            }
        }

        using (FileJournal journal = FileJournal.Open(Dir))
        {
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(count - 1)), journal.Range);
            for (int i = count - 1; i >= 0; i--)
            {
                Assert.Equal(Payload(i, SizeFor(i)), journal.Read(new Lsn((ulong)i)).ToArray());
            }

            Assert.Equal(new Lsn(count), journal.Append(Payload(count, 5)));
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Segments_roll_over_at_the_configured_size()
    {
        var options = new FileJournalOptions { SegmentSizeBytes = 1024 };
        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            for (int i = 0; i < 200; i++)
            {
                journal.Append(Payload(i, i % 5 == 4 ? 2000 : i % 150));
            }
        }

        string[] files = SegmentFiles();
        Assert.True(files.Length > 20, $"expected many segments, got {files.Length}");
        Assert.Equal("00000000000000000000.seg", files[0]);
        foreach (string file in files)
        {
            long length = new FileInfo(Path.Combine(Dir, file)).Length;
            // A segment stays within the limit unless it holds one frame larger than the limit.
            Assert.True(length <= 1024 || length == JournalSegmentHeader.Size + JournalFrame.SizeOf(2000), $"{file}: {length}");
        }

        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(199)), journal.Range);
            for (int i = 0; i < 200; i++)
            {
                Assert.Equal(Payload(i, i % 5 == 4 ? 2000 : i % 150), journal.Read(new Lsn((ulong)i)).ToArray());
            }
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void DropPrefix_deletes_whole_segments_and_reopen_keeps_numbering()
    {
        var options = new FileJournalOptions { SegmentSizeBytes = 512 };
        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            for (int i = 0; i < 100; i++)
            {
                journal.Append(Payload(i, 100));
            }

            int before = SegmentFiles().Length;
            journal.DropPrefix(new Lsn(49));
            Assert.True(SegmentFiles().Length < before);
            Assert.Equal(LsnRange.Inclusive(new Lsn(50), new Lsn(99)), journal.Range);
            Assert.Equal(Payload(50, 100), journal.Read(new Lsn(50)).ToArray());
        }

        // Every remaining segment holds an LSN at or after the first live one (or is the one holding it).
        Assert.All(SegmentFiles().Skip(1), f => Assert.True(ulong.Parse(f[..20]) > 50));
        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            Assert.Equal(LsnRange.Inclusive(new Lsn(50), new Lsn(99)), journal.Range);
            Assert.Equal(SqlSyncErrorCode.JournalOutOfRange, Assert.Throws<SqlSyncException>(() => journal.Read(new Lsn(49))).Code);
            Assert.Equal(Payload(99, 100), journal.Read(new Lsn(99)).ToArray());
            Assert.Equal(new Lsn(100), journal.Append(Payload(100, 100)));

            journal.DropPrefix(new Lsn(100));
            Assert.Equal(["00000000000000000101.seg"], SegmentFiles());
        }

        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            Assert.Equal(LsnRange.EmptyAt(new Lsn(101)), journal.Range);
            Assert.Equal(new Lsn(101), journal.Append(Payload(101, 1)));
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void AppendAt_1000_on_a_fresh_journal_names_the_segment_and_survives_reopen()
    {
        using (FileJournal journal = FileJournal.Open(Dir))
        {
            journal.AppendAt(new Lsn(1000), Payload(1000, 10));
        }

        Assert.Equal(["00000000000000001000.seg"], SegmentFiles());
        using (FileJournal journal = FileJournal.Open(Dir))
        {
            Assert.Equal(LsnRange.Inclusive(new Lsn(1000), new Lsn(1000)), journal.Range);
            Assert.Equal(Payload(1000, 10), journal.Read(new Lsn(1000)).ToArray());
            Assert.Equal(new Lsn(1001), journal.Append(Payload(1001, 10)));
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Without_fsync_on_append_Flush_makes_entries_durable()
    {
        var options = new FileJournalOptions { FsyncOnAppend = false, SegmentSizeBytes = 4096 };
        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            for (int i = 0; i < 50; i++)
            {
                journal.Append(Payload(i, 200));
            }

            journal.Flush();
            journal.Flush(); // nothing pending: a no-op
            Assert.Equal(Payload(49, 200), journal.Read(new Lsn(49)).ToArray());
        }

        using (FileJournal journal = FileJournal.Open(Dir, options))
        {
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(49)), journal.Range);
            Assert.Equal(Payload(7, 200), journal.Read(new Lsn(7)).ToArray());
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void A_second_open_of_the_same_directory_fails_while_the_first_is_open()
    {
        using (FileJournal.Open(Dir))
        {
            var error = Assert.Throws<SqlSyncException>(() => FileJournal.Open(Dir));
            Assert.Equal(SqlSyncErrorCode.JournalIo, error.Code);
        }

        using FileJournal again = FileJournal.Open(Dir);
        Assert.True(again.Range.IsEmpty);
    }

    [Fact, Trait("Category", "Journal")]
    public void Options_reject_a_segment_size_too_small_for_one_frame() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FileJournal.Open(Dir, new FileJournalOptions { SegmentSizeBytes = 10 }));

    [Fact, Trait("Category", "Journal")]
    public void Leftover_temporary_files_are_removed_at_open()
    {
        using (FileJournal journal = FileJournal.Open(Dir))
        {
            journal.Append([1, 2, 3]);
        }

        File.WriteAllBytes(Path.Combine(Dir, "00000000000000000001.seg.tmp"), [1, 2]);
        using (FileJournal journal = FileJournal.Open(Dir))
        {
            Assert.Equal([1, 2, 3], journal.Read(Lsn.Zero).ToArray());
        }

        Assert.Empty(Directory.GetFiles(Dir, "*.tmp"));
    }
}
