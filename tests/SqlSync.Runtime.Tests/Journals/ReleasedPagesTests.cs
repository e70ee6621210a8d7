using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// Decision 0043: a journal that lets go of its flushed bytes (a client's received storage) drops them from the page
/// cache once they are durable, never before, and still reads and reopens the same. On Linux the residency of the
/// segment's pages is checked with mincore.
/// </summary>
public sealed class ReleasedPagesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    [Trait("Category", "Journal")]
    public void FlushedEntriesLeaveThePageCacheAndStillReadAndReopen()
    {
        string dir = _temp.Sub("journal");
        byte[][] entries = Enumerable.Range(0, 6).Select(i => TestBytes.Noise(i, 700_000)).ToArray();
        using (FileJournal journal = FileJournal.Open(dir, new FileJournalOptions { FsyncOnAppend = false }))
        {
            for (int i = 0; i < entries.Length; i++)
            {
                journal.AppendAt(new Lsn((ulong)i), (ReadOnlyMemory<byte>)entries[i], fsync: false);
            }

            string segment = SegmentOf(dir);
            if (CanObserve(segment))
            {
                Assert.True(ResidentPages(segment) > 900, "the written, unflushed pages are cached"); // 4.2 MB: about 1,025 pages
                journal.ReleaseFlushedPages(); // unflushed: nothing may go
                Assert.True(ResidentPages(segment) > 900, "unflushed pages were dropped");

                journal.Flush();
                journal.ReleaseFlushedPages();
                Assert.True(ResidentPages(segment) <= 2, $"{ResidentPages(segment)} pages stayed cached after the release");
            }
            else
            {
                journal.Flush();
                journal.ReleaseFlushedPages();
            }

            for (int i = 0; i < entries.Length; i++)
            {
                Assert.True(journal.Read(new Lsn((ulong)i)).Span.SequenceEqual(entries[i]), $"entry {i} reads back different");
            }

            byte[] after = TestBytes.Noise(99, 1_500_000);
            journal.AppendAt(new Lsn(6), (ReadOnlyMemory<byte>)after, fsync: true); // appends go on after a release
            journal.ReleaseFlushedPages();
        }

        using FileJournal reopened = FileJournal.Open(dir);
        Assert.Equal(LsnRange.Inclusive(new Lsn(0), new Lsn(6)), reopened.Range);
        Assert.True(reopened.Read(new Lsn(3)).Span.SequenceEqual(entries[3]));
        Assert.True(reopened.Read(new Lsn(6)).Span.SequenceEqual(TestBytes.Noise(99, 1_500_000)));
    }

    [Fact]
    [Trait("Category", "Journal")]
    public void LessThanAMegabyteWaitsForTheNextRelease()
    {
        string dir = _temp.Sub("small");
        using FileJournal journal = FileJournal.Open(dir);
        journal.AppendAt(new Lsn(0), (ReadOnlyMemory<byte>)TestBytes.Noise(1, 200_000), fsync: true);
        string segment = SegmentOf(dir);
        journal.ReleaseFlushedPages();
        if (CanObserve(segment))
        {
            Assert.True(ResidentPages(segment) > 40, "a stretch under the minimum was let go of");
            journal.AppendAt(new Lsn(1), (ReadOnlyMemory<byte>)TestBytes.Noise(2, (int)FileJournal.MinReleasedBytes), fsync: true);
            journal.ReleaseFlushedPages();
            Assert.True(ResidentPages(segment) <= 2, $"{ResidentPages(segment)} pages stayed cached: the first stretch must go with the second");
        }
    }

    [Fact]
    [Trait("Category", "Journal")]
    public void ASegmentRolledAwayIsLetGoOfToItsEndAndNoPageStaysAtTheSeams()
    {
        string dir = _temp.Sub("rolled");
        using (FileJournal journal = FileJournal.Open(dir, new FileJournalOptions { FsyncOnAppend = false, SegmentSizeBytes = 4 << 20 }))
        {
            for (int batch = 0; batch < 4; batch++)
            {
                for (int i = 0; i < 2; i++)
                {
                    journal.AppendAt(new Lsn((ulong)(2 * batch + i)), (ReadOnlyMemory<byte>)TestBytes.Noise(2 * batch + i, 700_001), fsync: false);
                }

                journal.Flush();
                journal.ReleaseFlushedPages();
            }

            string[] segments = Directory.GetFiles(dir, "*.seg").Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(2, segments.Length);
            if (CanObserve(segments[0]))
            {
                Assert.True(ResidentPages(segments[0]) == 0, $"{ResidentPages(segments[0])} pages of the rolled segment stayed cached");
                Assert.True(ResidentPages(segments[1]) <= 1, $"{ResidentPages(segments[1])} pages of the active segment stayed cached");
            }

            for (int i = 0; i < 8; i++)
            {
                Assert.True(journal.Read(new Lsn((ulong)i)).Span.SequenceEqual(TestBytes.Noise(i, 700_001)), $"entry {i} reads back different");
            }
        }
    }

    private static string SegmentOf(string dir) => Directory.GetFiles(dir, "*.seg").Single();

    /// <summary>Residency is visible on Linux, where the advice is given, and not on tmpfs, whose pages are the file itself.</summary>
    private static bool CanObserve(string path) => LibC.CanDropFromPageCache && FileSystemOf(path) != "tmpfs";

    private static string? FileSystemOf(string path)
    {
        string full = Path.GetFullPath(path);
        return File.ReadAllLines("/proc/mounts")
            .Select(line => line.Split(' '))
            .Where(f => f.Length > 2 && (full == f[1] || full.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
            .MaxBy(f => f[1].Length)?[2];
    }

    /// <summary>How many of the file's pages the page cache holds (mincore over a read-only mapping, which faults nothing in).</summary>
    private static int ResidentPages(string path)
    {
        long length = new FileInfo(path).Length;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using MemoryMappedViewAccessor view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        var pages = new byte[(length + Environment.SystemPageSize - 1) / Environment.SystemPageSize];
        IntPtr start = view.SafeMemoryMappedViewHandle.DangerousGetHandle() + (nint)view.PointerOffset;
        Assert.Equal(0, MinCore(start, (nuint)length, pages));
        return pages.Count(p => (p & 1) != 0);
    }

    [DllImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static extern int MinCore(IntPtr address, nuint length, byte[] vector);
}
