using System.Runtime.InteropServices;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>
/// The copies decision 0039 took out of the initial sync give the same bytes as the copies did: a client's raw entries
/// are slices of the frame it keeps, a large entry is journaled with one gathered write that is the same frame as the
/// copied one, and LZ4 is tried on an entry's first 64 KiB before all of it.
/// </summary>
public sealed class InitialSyncCopiesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static JournalPartial Partial(params byte[][] entries) =>
        new(LsnRange.Inclusive(new Lsn(7), new Lsn(7 + (ulong)entries.Length - 1)), entries.Select(e => (ReadOnlyMemory<byte>)e).ToArray());

    [Fact]
    [Trait("Category", "Replication")]
    public void RawEntriesOfAKeptFrameAreSlicesOfItAndEqualTheCopies()
    {
        byte[][] entries = { TestBytes.Noise(1, 200_000), TestBytes.Noise(2, 5_000), new byte[] { 1, 2, 3 } };
        byte[] frame = SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entries)));

        var kept = (StorageEntriesMessage)SyncMessageCodec.DecodeKeepingFrame(frame, SyncProtocol.DefaultMaxFrameBytes);
        var copied = (StorageEntriesMessage)SyncMessageCodec.Decode(frame);
        for (int i = 0; i < entries.Length; i++)
        {
            Assert.True(kept.Entries.Entries[i].Span.SequenceEqual(entries[i]), $"entry {i} differs");
            Assert.True(copied.Entries.Entries[i].Span.SequenceEqual(entries[i]), $"entry {i} differs when copied");
            Assert.True(MemoryMarshal.TryGetArray(kept.Entries.Entries[i], out ArraySegment<byte> slice));
            Assert.Same(frame, slice.Array); // no copy
            Assert.True(MemoryMarshal.TryGetArray(copied.Entries.Entries[i], out ArraySegment<byte> copy));
            Assert.NotSame(frame, copy.Array);
        }
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void AnEntryIsCompressedOnlyWhenItsFirst64KiBCompress()
    {
        // Noise first, then zeros: all of it would compress, but the probe says no; the other way round it goes LZ4.
        byte[] noiseFirst = new byte[400_000];
        TestBytes.Noise(3, EntryCompression.ProbeBytes).CopyTo(noiseFirst, 0);
        byte[] zerosFirst = new byte[400_000];
        TestBytes.Noise(4, 100_000).CopyTo(zerosFirst, 300_000);

        foreach ((byte[] entry, byte expected) in new[] { (noiseFirst, EntryCompression.Raw), (zerosFirst, EntryCompression.Lz4Block) })
        {
            byte[] frame = SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entry)));
            int encodingAt = SyncProtocol.HeaderSize + 1 + 3 + 1 + 1; // header, "doc" (length 3), range first 7, count 1
            Assert.Equal(expected, frame[encodingAt]);
            var decoded = (StorageEntriesMessage)SyncMessageCodec.Decode(frame);
            Assert.True(decoded.Entries.Entries[0].Span.SequenceEqual(entry));
            Assert.Equal(frame, SyncMessageCodec.Encode(new StorageEntriesMessage("doc", Partial(entry.ToArray())))); // deterministic
        }
    }

    [Fact]
    [Trait("Category", "Journal")]
    public void AGatheredJournalWriteIsTheSameFrameAsACopiedOneAndReopens()
    {
        byte[][] entries = { TestBytes.Noise(5, 70_000), TestBytes.Noise(6, 100), TestBytes.Noise(7, 1_100_000), TestBytes.Noise(8, 65_536) };
        string copiedDir = _temp.Sub("copied"), gatheredDir = _temp.Sub("gathered");
        using (FileJournal copied = FileJournal.Open(copiedDir))
        using (FileJournal gathered = FileJournal.Open(gatheredDir))
        {
            for (int i = 0; i < entries.Length; i++)
            {
                copied.AppendAt(new Lsn((ulong)i), entries[i].AsSpan(), fsync: false);
                gathered.AppendAt(new Lsn((ulong)i), entries[i].AsMemory(), fsync: false);
            }

            copied.Flush();
            gathered.Flush();
        }

        string[] copiedFiles = Directory.GetFiles(copiedDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.Equal(copiedFiles, Directory.GetFiles(gatheredDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        foreach (string name in copiedFiles)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(copiedDir, name)), File.ReadAllBytes(Path.Combine(gatheredDir, name)));
        }

        using FileJournal reopened = FileJournal.Open(gatheredDir); // every frame's checksum checked at open
        Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(3)), reopened.Range);
        for (int i = 0; i < entries.Length; i++)
        {
            Assert.True(reopened.Read(new Lsn((ulong)i)).Span.SequenceEqual(entries[i]), $"entry {i} differs after reopen");
        }
    }
}
