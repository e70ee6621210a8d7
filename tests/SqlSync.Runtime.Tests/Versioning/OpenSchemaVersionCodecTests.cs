using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Runtime.Tests.Versioning;

/// <summary>The app schema version rides in OpenDocument as an optional trailing field: absent is 0, present round-trips, 0 written is malformed.</summary>
[Trait("Category", "Versioning")]
public sealed class OpenSchemaVersionCodecTests
{
    private static readonly TimelineId Timeline = new(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"));
    private static readonly TimelineSecret Secret = TimelineSecret.ParseHex(new string('7', 64));

    [Fact]
    public void WithoutMigrationsTheFrameIsByteForByteTheOldOne()
    {
        byte[] without = SyncMessageCodec.Encode(new OpenDocumentMessage("todos", Timeline, LsnRange.Empty, Secret));
        byte[] zero = SyncMessageCodec.Encode(new OpenDocumentMessage("todos", Timeline, LsnRange.Empty, Secret, AppSchemaVersion: 0));
        Assert.Equal(without, zero);
        Assert.Equal(0, Assert.IsType<OpenDocumentMessage>(SyncMessageCodec.Decode(without)).AppSchemaVersion);
    }

    [Fact]
    public void ASchemaVersionRoundTripsAsOneTrailingVarint()
    {
        byte[] without = SyncMessageCodec.Encode(new OpenDocumentMessage("todos", Timeline, LsnRange.Empty, Secret));
        byte[] with = SyncMessageCodec.Encode(new OpenDocumentMessage("todos", Timeline, LsnRange.Empty, Secret, AppSchemaVersion: 3));
        Assert.Equal(without.Length + 1, with.Length);
        Assert.Equal(3, with[^1]);
        Assert.Equal(3, Assert.IsType<OpenDocumentMessage>(SyncMessageCodec.Decode(with)).AppSchemaVersion);
    }

    [Theory]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x08 })] // 2^31
    [InlineData(new byte[] { 3, 0 })] // a second trailing byte
    public void AnExplicitZeroAnOutOfRangeVersionOrMoreBytesAreMalformed(byte[] tail)
    {
        byte[] without = SyncMessageCodec.Encode(new OpenDocumentMessage("todos", Timeline, LsnRange.Empty, Secret));
        byte[] frame = [.. without, .. tail];
        uint payload = (uint)(frame.Length - SyncProtocol.HeaderSize);
        BitConverter.TryWriteBytes(frame.AsSpan(4, 4), payload); // the header's payload length (little-endian)
        var error = Assert.Throws<SqlSyncException>(() => SyncMessageCodec.Decode(frame));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, error.Data[nameof(ProtocolErrorCode)]);
    }
}
