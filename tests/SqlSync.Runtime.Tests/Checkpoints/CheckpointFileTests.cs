using System.Text;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;
using Xunit;

namespace SqlSync.Runtime.Tests.Checkpoints;

public sealed class CheckpointFileTests
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACheckpointHoldsThePagesAtFixedOffsetsWithTheDatabaseChecksumAndLsn()
    {
        using var fixture = new CheckpointFixture();
        fixture.Fill(50);
        fixture.Checkpoint();

        string file = Assert.Single(fixture.CheckpointFiles());
        LsnRange range = fixture.Coordinator.StorageRange;
        Assert.Equal(range.Last.Value.ToString("D20") + ".ckpt", file);
        string path = Path.Combine(fixture.CheckpointDirectory, file);
        using CheckpointFile checkpoint = CheckpointFile.Open(path, "checkpoints/" + file);
        checkpoint.Validate();
        Assert.Equal(range.Last, checkpoint.Header.Lsn);
        Assert.Equal(Lsn.Zero, checkpoint.Header.FirstLsn);
        Assert.Equal(fixture.Coordinator.StorageChecksum, checkpoint.Header.Checksum);
        Assert.Equal(fixture.Coordinator.NewestCheckpointLsn, range.Last);

        // Page 1 is SQLite's header page, at offset 4096: a page cache can read page n at n × 4096.
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal("SQLite format 3\0", Encoding.ASCII.GetString(bytes, 4096, 16));
        Assert.Equal(checkpoint.Header.FileLength, bytes.Length);
    }

    [Theory]
    [Trait("Category", "Checkpoint")]
    [InlineData("magic", 0)]
    [InlineData("header field", 12)]
    [InlineData("page", 4096 + 100)]
    [InlineData("last page", -30)]
    [InlineData("hash table", -20)]
    [InlineData("table checksum", -3)]
    public void ADamagedByteAnywhereIsACheckpointCorruptErrorNamingTheFile(string where, int offset)
    {
        using var fixture = new CheckpointFixture();
        fixture.Fill(10);
        fixture.Checkpoint();
        string file = Assert.Single(fixture.CheckpointFiles());
        string path = Path.Combine(fixture.CheckpointDirectory, file);
        byte[] bytes = File.ReadAllBytes(path);
        long tableOffset = BitConverter.ToInt64(bytes, 40);
        int at = offset >= 0 ? offset : offset > -25 ? (int)(bytes.Length + offset) : (int)(tableOffset + offset);
        bytes[at] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<SqlSyncException>(() =>
        {
            using CheckpointFile checkpoint = CheckpointFile.Open(path, "checkpoints/" + file);
            checkpoint.Validate();
        });
        Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, error.Code);
        Assert.Contains("checkpoints/" + file, error.Message);
        Assert.False(string.IsNullOrEmpty(where));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public void ACutShortFileIsCorrupt()
    {
        using var fixture = new CheckpointFixture();
        fixture.Fill(10);
        fixture.Checkpoint();
        string path = Path.Combine(fixture.CheckpointDirectory, Assert.Single(fixture.CheckpointFiles()));
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 8);
        }

        var error = Assert.Throws<SqlSyncException>(() => CheckpointFile.Open(path, "the file").Dispose());
        Assert.Equal(SqlSyncErrorCode.CheckpointCorrupt, error.Code);
        Assert.Contains("the file", error.Message);
    }
}
