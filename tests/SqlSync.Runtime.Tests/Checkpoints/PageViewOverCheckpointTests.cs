using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SqlSync.Journals;
using SqlSync.Storage;
using SqlSync.Storage.Checkpoints;
using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// The view over a checkpoint file and a tiny cache against the view that holds every page, under random writes,
/// growth, truncation (pages cut off and grown again) and checkpoints switched to while writes go on. With
/// <c>entries</c> the cached view takes each write as a received storage entry, whose pages stay slices of the entry's
/// buffer (decision 0039), and the running checksum (growth pages hashed once) is checked against a full recompute.
/// </summary>
public sealed class PageViewOverCheckpointTests
{
    [Theory]
    [Trait("Category", "Checkpoint")]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    [InlineData(6, true)]
    public void ReadsTheSameAsTheViewInMemoryThroughWritesTruncationsAndSwitches(int seed, bool entries)
    {
        var random = new Random(seed);
        using var temp = new TempDirectory();
        using var memory = new PageView(null);
        using var cached = new PageView(3 * StorageFormat.PageSize);
        PageSnapshot? written = null;
        string? writtenPath = null;
        ulong lsn = 0;
        try
        {
            for (int round = 0; round < 400; round++)
            {
                int op = random.Next(10);
                if (op < 7 || memory.Size == 0)
                {
                    Write(random, memory, cached, entries);
                }
                else if (op < 9 && written is null)
                {
                    written = cached.Snapshot(Lsn.Zero, new Lsn(++lsn));
                    writtenPath = Path.Combine(temp.Path, $"{lsn}.ckpt");
                    CheckpointWriter.Write(writtenPath, written);
                }
                else if (written is not null)
                {
                    using (CheckpointFile file = CheckpointFile.Open(writtenPath!, writtenPath!))
                    {
                        file.Validate(); // the file written from the view is the view at that LSN
                        cached.SwitchTo(file, written);
                    }

                    written.Dispose();
                    written = null;
                }

                AssertSame(memory, cached, round);
            }

            Assert.True(cached.Cache!.Misses > 0, "no page was ever read from a checkpoint file");
        }
        finally
        {
            written?.Dispose();
        }
    }

    private static void Write(Random random, PageView memory, PageView cached, bool entries)
    {
        // Mostly growth and rewrites; sometimes a cut (a VACUUM), so pages are cut off and later grown again.
        int delta = random.Next(10) == 0 ? -random.Next(1, 6) : random.Next(-1, 4);
        uint size = (uint)Math.Max(1, (int)memory.Size + delta);
        var numbers = Enumerable.Range(1, (int)size).Where(_ => random.Next(3) == 0).Select(n => (uint)n).ToList();
        var pages = new List<KeyValuePair<uint, byte[]>>();
        foreach (uint number in numbers)
        {
            byte[] bytes = new byte[StorageFormat.PageSize];
            random.NextBytes(bytes.AsSpan(0, 64));
            pages.Add(new(number, bytes));
        }

        var set = new PendingPageSet(pages);
        ulong checksum = memory.ChecksumAfter(size, set);
        Assert.Equal(checksum, cached.ChecksumAfter(size, set));
        memory.Apply(size, set, checksum);
        if (entries)
        {
            byte[] encoded = StorageEntry.Encode(size, checksum, pages);
            StorageEntry entry = StorageEntry.Decode(encoded);
            cached.Apply(size, entry, checksum);
            for (int i = 0; i < entry.PageCount; i++)
            {
                // The view reads the entry's own bytes: a slice, not a copy.
                Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(cached.Page(entry.PageNumberAt(i))), ref MemoryMarshal.GetReference(entry.PageAt(i))));
            }
        }
        else
        {
            cached.Apply(size, set, checksum);
        }
    }

    private static void AssertSame(PageView memory, PageView cached, int round)
    {
        Assert.Equal(memory.Size, cached.Size);
        Assert.Equal(memory.Checksum, cached.Checksum);
        for (uint page = 1; page <= memory.Size + 2; page++)
        {
            Assert.True(memory.Page(page).SequenceEqual(cached.Page(page)), $"page {page} differs at round {round}");
        }

        Assert.Equal(memory.Checksum, cached.ComputeChecksum());
    }
}
