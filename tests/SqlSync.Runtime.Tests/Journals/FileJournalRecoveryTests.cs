using Xunit;

namespace SqlSync.Journals;

/// <summary>Crash and damage: torn tails are cut at open; damage anywhere else is reported, never repaired.</summary>
public sealed class FileJournalRecoveryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Payload(int i, int size) => FileJournalTests.Payload(i, size);

    /// <summary>Writes a journal with <paramref name="sizes"/> entries and returns its segment files' bytes.</summary>
    private string WriteJournal(string name, int[] sizes, long segmentSize = FileJournalOptions.DefaultSegmentSizeBytes)
    {
        string dir = _temp.Sub(name);
        using FileJournal journal = FileJournal.Open(dir, new FileJournalOptions { SegmentSizeBytes = segmentSize });
        for (int i = 0; i < sizes.Length; i++)
        {
            journal.Append(Payload(i, sizes[i]));
        }

        return dir;
    }

    private static string LastSegment(string dir) => Directory.GetFiles(dir, "*.seg").Order(StringComparer.Ordinal).Last();

    private static SqlSyncException OpenFails(string dir)
    {
        var error = Assert.Throws<SqlSyncException>(() => FileJournal.Open(dir).Dispose());
        Assert.Equal(SqlSyncErrorCode.JournalCorrupt, error.Code);
        return error;
    }

    [Theory, Trait("Category", "Journal")]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(37)]
    public void Truncation_at_every_byte_of_the_last_entry_reopens_with_the_whole_prefix(int lastSize)
    {
        int[] sizes = [5, 0, 300, 17, lastSize];
        string dir = WriteJournal("source", sizes, segmentSize: 400); // several segments; the tail is in the last
        string segment = LastSegment(dir);
        byte[] full = File.ReadAllBytes(segment);
        long frameStart = full.Length - JournalFrame.SizeOf(lastSize);

        for (long cut = frameStart; cut < full.Length; cut++)
        {
            File.WriteAllBytes(segment, full.AsSpan(0, (int)cut).ToArray());
            using (FileJournal journal = FileJournal.Open(dir))
            {
                Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(3)), journal.Range);
                for (int i = 0; i < 4; i++)
                {
                    Assert.Equal(Payload(i, sizes[i]), journal.Read(new Lsn((ulong)i)).ToArray());
                }

                Assert.Equal(frameStart, new FileInfo(segment).Length); // the torn bytes were cut away
                Assert.Equal(new Lsn(4), journal.Append(Payload(99, 3)));
            }

            using (FileJournal journal = FileJournal.Open(dir))
            {
                Assert.Equal(Payload(99, 3), journal.Read(new Lsn(4)).ToArray());
            }
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void Truncation_inside_a_large_last_entry_reopens_with_the_prefix()
    {
        int[] sizes = [10, 70_000];
        string dir = WriteJournal("source", sizes);
        string segment = LastSegment(dir);
        byte[] full = File.ReadAllBytes(segment);
        long frameStart = full.Length - JournalFrame.SizeOf(70_000);
        long[] cuts = [frameStart + 1, frameStart + 11, frameStart + 12, frameStart + 40_000, full.Length - 8, full.Length - 1];
        foreach (long cut in cuts)
        {
            File.WriteAllBytes(segment, full.AsSpan(0, (int)cut).ToArray());
            using FileJournal journal = FileJournal.Open(dir);
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), journal.Range);
            Assert.Equal(new Lsn(1), journal.Append(Payload(1, 70_000)));
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void A_zero_filled_tail_is_a_torn_tail()
    {
        string dir = WriteJournal("source", [8, 8]);
        string segment = LastSegment(dir);
        long length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write(new byte[100]);
        }

        using FileJournal journal = FileJournal.Open(dir);
        Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(1)), journal.Range);
        Assert.Equal(length, new FileInfo(segment).Length);
    }

    [Fact, Trait("Category", "Journal")]
    public void A_flipped_byte_anywhere_in_an_earlier_frame_is_corruption_naming_the_file_and_lsn()
    {
        int[] sizes = [6, 16, 9, 4];
        string dir = WriteJournal("source", sizes);
        string segment = LastSegment(dir);
        byte[] original = File.ReadAllBytes(segment);
        long frameStart = JournalSegmentHeader.Size + JournalFrame.SizeOf(sizes[0]); // the frame of LSN 1
        long frameEnd = frameStart + JournalFrame.SizeOf(sizes[1]);

        // Every byte: length (4), LSN (8), payload (16), checksum (8); and two different flips of each.
        foreach (byte mask in new byte[] { 0x01, 0xFF })
        {
            for (long at = frameStart; at < frameEnd; at++)
            {
                byte[] damaged = (byte[])original.Clone();
                damaged[at] ^= mask;
                File.WriteAllBytes(segment, damaged);
                SqlSyncException error = OpenFails(dir);
                Assert.Contains(segment, error.Message);
                Assert.Contains("LSN 1 ", error.Message);
                Assert.Contains($"byte offset {frameStart}", error.Message);
            }
        }

        File.WriteAllBytes(segment, original);
        using FileJournal journal = FileJournal.Open(dir);
        Assert.Equal(new Lsn(3), journal.Range.Last);
    }

    [Fact, Trait("Category", "Journal")]
    public void Damage_to_the_last_frame_of_an_earlier_segment_is_corruption()
    {
        string dir = WriteJournal("source", [100, 100, 100, 100], segmentSize: 200);
        string first = Directory.GetFiles(dir, "*.seg").Order(StringComparer.Ordinal).First();
        byte[] bytes = File.ReadAllBytes(first);
        bytes[^1] ^= 0x40; // the checksum of the last (only) frame of a sealed segment
        File.WriteAllBytes(first, bytes);
        SqlSyncException error = OpenFails(dir);
        Assert.Contains(first, error.Message);
        Assert.Contains("LSN 0 ", error.Message);

        File.WriteAllBytes(first, bytes.AsSpan(0, bytes.Length - 3).ToArray()); // a cut-short sealed segment
        Assert.Contains(first, OpenFails(dir).Message);
    }

    [Fact, Trait("Category", "Journal")]
    public void A_flipped_byte_in_the_segment_header_is_a_clear_error()
    {
        string dir = WriteJournal("source", [3, 3]);
        string segment = LastSegment(dir);
        byte[] original = File.ReadAllBytes(segment);
        for (int at = 0; at < JournalSegmentHeader.Size; at++)
        {
            byte[] damaged = (byte[])original.Clone();
            damaged[at] ^= 0x10;
            File.WriteAllBytes(segment, damaged);
            SqlSyncException error = OpenFails(dir);
            Assert.Contains(segment, error.Message);
            Assert.Contains("byte offset 0", error.Message);
            Assert.Contains("header", error.Message);
        }

        File.WriteAllBytes(segment, original.AsSpan(0, 10).ToArray());
        Assert.Contains("shorter than the 32-byte segment header", OpenFails(dir).Message);
    }

    [Fact, Trait("Category", "Journal")]
    public void A_segment_whose_name_disagrees_with_its_header_or_a_gap_between_segments_is_corruption()
    {
        string dir = WriteJournal("source", [100, 100, 100], segmentSize: 200);
        string[] files = Directory.GetFiles(dir, "*.seg").Order(StringComparer.Ordinal).ToArray();
        File.Delete(files[1]);
        Assert.Contains("starts at LSN 2", OpenFails(dir).Message);

        File.Move(files[2], Path.Combine(dir, JournalSegment.FileNameFor(new Lsn(1))));
        Assert.Contains("the file name says 1", OpenFails(dir).Message);
    }

    [Fact, Trait("Category", "Journal")]
    public void A_frame_damaged_after_open_fails_its_check_on_read()
    {
        string dir = WriteJournal("source", [50, 50, 50], segmentSize: 100);
        string first = Directory.GetFiles(dir, "*.seg").Order(StringComparer.Ordinal).First();
        using FileJournal journal = FileJournal.Open(dir);
        using (var stream = new FileStream(first, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Position = JournalSegmentHeader.Size + JournalFrame.HeaderSize + 3;
            stream.WriteByte(0xEE);
        }

        var error = Assert.Throws<SqlSyncException>(() => journal.Read(Lsn.Zero));
        Assert.Equal(SqlSyncErrorCode.JournalCorrupt, error.Code);
        Assert.Contains("LSN 0 ", error.Message);
        Assert.Equal(Payload(1, 50), journal.Read(new Lsn(1)).ToArray());
    }

    [Fact, Trait("Category", "Journal")]
    public void A_last_segment_torn_to_empty_still_drops_and_appends_correctly()
    {
        string dir = WriteJournal("source", [100, 100, 100], segmentSize: 200); // one frame per segment
        string last = LastSegment(dir);
        File.WriteAllBytes(last, File.ReadAllBytes(last).AsSpan(0, JournalSegmentHeader.Size + 5).ToArray());
        using (FileJournal journal = FileJournal.Open(dir))
        {
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(1)), journal.Range);
            journal.DropPrefix(new Lsn(1)); // the empty last segment is kept, the others go
            Assert.Equal([last], Directory.GetFiles(dir, "*.seg"));
            Assert.Equal(new Lsn(2), journal.Append(Payload(2, 100)));
        }

        using (FileJournal journal = FileJournal.Open(dir))
        {
            Assert.Equal(LsnRange.Inclusive(new Lsn(2), new Lsn(2)), journal.Range);
            Assert.Equal(Payload(2, 100), journal.Read(new Lsn(2)).ToArray());
        }
    }

    [Fact, Trait("Category", "Journal")]
    public void A_damaged_start_marker_is_corruption()
    {
        string dir = WriteJournal("source", [1, 1, 1]);
        using (FileJournal journal = FileJournal.Open(dir))
        {
            journal.DropPrefix(Lsn.Zero);
        }

        string marker = Path.Combine(dir, JournalStartMarker.FileName);
        byte[] bytes = File.ReadAllBytes(marker);
        bytes[9] ^= 1;
        File.WriteAllBytes(marker, bytes);
        Assert.Contains(marker, OpenFails(dir).Message);
    }
}
