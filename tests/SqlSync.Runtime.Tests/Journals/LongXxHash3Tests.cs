using System.IO.Hashing;
using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// Decision 0043: the project's own XXH3-64 of long inputs gives System.IO.Hashing's values, bit for bit: every length
/// up to a few blocks, page and entry sizes, seeds of every kind, and a short head joined to a body at every split
/// around the first block. Journal frames and database checksums already on disk depend on it.
/// </summary>
public sealed class LongXxHash3Tests
{
    private static readonly byte[] Input = TestBytes.Noise(1, 3_000_100);

    [Fact]
    [Trait("Category", "Journal")]
    public void TheHashOfEveryLengthUpToThreeBlocksIsTheLibrarys()
    {
        for (int length = 0; length <= 3 * 1024 + 130; length++)
        {
            ReadOnlySpan<byte> source = Input.AsSpan(length % 7, length);
            Assert.True(XxHash3.HashToUInt64(source) == LongXxHash3.Hash(source), $"length {length}");
        }
    }

    [Theory]
    [Trait("Category", "Journal")]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(4096L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(0x5DEECE66DL)]
    public void SeededHashesOfPagesAndEntriesAreTheLibrarys(long seed)
    {
        foreach (int length in new[] { 241, 1024, 1025, 1087, 1088, 1089, 4096, 65_536, 1_000_003, 3_000_000 })
        {
            ReadOnlySpan<byte> source = Input.AsSpan(3, length);
            Assert.True(XxHash3.HashToUInt64(source, seed) == LongXxHash3.Hash(source, seed), $"length {length}, seed {seed}");
        }

        var random = new Random((int)(seed & 0x7FFFFFFF));
        for (int i = 0; i < 40; i++)
        {
            int length = random.Next(200, 200_000);
            ReadOnlySpan<byte> source = Input.AsSpan(random.Next(0, 100), length);
            Assert.True(XxHash3.HashToUInt64(source, seed) == LongXxHash3.Hash(source, seed), $"length {length}, seed {seed}");
        }
    }

    [Fact]
    [Trait("Category", "Journal")]
    public void AHeadAndABodyHashAsTheirJoin()
    {
        foreach (int headLength in new[] { 0, 1, 12, 63, 64 })
        {
            foreach (int bodyLength in new[] { 0, 1, 240, 1000, 1012, 1024, 1025, 1076, 1077, 1088, 1089, 2047, 2048, 2049, 4096, 100_003, 1_048_576 })
            {
                byte[] head = Input.AsSpan(5, headLength).ToArray();
                ReadOnlySpan<byte> body = Input.AsSpan(9_000, bodyLength);
                byte[] joined = [.. head, .. body];
                Assert.True(XxHash3.HashToUInt64(joined) == LongXxHash3.Hash(head, body), $"head {headLength}, body {bodyLength}");
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => LongXxHash3.Hash(new byte[65], Input));
    }

    [Fact]
    [Trait("Category", "Journal")]
    public void AFrameEncodedAroundItsPayloadIsTheCopiedFrame()
    {
        byte[] payload = TestBytes.Noise(2, 300_000);
        byte[] frame = JournalFrame.Encode(new Lsn(77), payload);
        byte[] header = new byte[JournalFrame.HeaderSize], trailer = new byte[JournalFrame.TrailerSize];
        JournalFrame.EncodeAround(header, trailer, new Lsn(77), payload);
        byte[] gathered = [.. header, .. payload, .. trailer];
        Assert.Equal(frame, gathered);
        Assert.True(JournalFrame.HasValidChecksum(frame));
        frame[1000] ^= 1;
        Assert.False(JournalFrame.HasValidChecksum(frame));
    }
}
