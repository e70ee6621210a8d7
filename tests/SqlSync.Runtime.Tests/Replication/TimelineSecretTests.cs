using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>The timeline secret: on the wire, in the client's files, never in the replicated database.</summary>
public sealed class TimelineSecretTests
{
    [Fact]
    [Trait("Category", "Replication")]
    public void TheOpenMessageCarriesExactly32SecretBytes()
    {
        var secret = TimelineSecret.New();
        var open = new OpenDocumentMessage("doc", TimelineId.New(), LsnRange.Empty, secret);
        var decoded = Assert.IsType<OpenDocumentMessage>(SyncMessageCodec.Decode(SyncMessageCodec.Encode(open)));
        Assert.Equal(open, decoded);
        Assert.Equal(secret.ToHex(), decoded.Secret.ToHex());
        Assert.DoesNotContain(secret.ToHex(), open.ToString(), StringComparison.OrdinalIgnoreCase); // logs never show it

        // A 31-byte secret: the frame is re-encoded by hand with one byte less.
        byte[] frame = SyncMessageCodec.Encode(open);
        byte[] shorter = frame[..^1];
        shorter[^32] = 31; // the varint length before the secret's bytes
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(shorter.AsSpan(4), (uint)(shorter.Length - SyncProtocol.HeaderSize));
        var error = Assert.Throws<SqlSyncException>(() => SyncMessageCodec.Decode(shorter));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, error.Data[nameof(ProtocolErrorCode)]);
        Assert.Contains("timeline secret of 31 bytes", error.Message);

        Assert.Throws<ArgumentException>(() => SyncMessageCodec.Encode(open with { Secret = default }));
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void ALocalDocumentKeepsItsSecretBesideItsTimelineIdAndNeverInTheDatabase()
    {
        using var directory = new TempDirectory();
        var options = new LocalDocumentOptions { DocumentId = "secrets", Reducer = Reducer, Directory = directory.Path, FsyncOnAppend = false };
        TimelineId timeline;
        TimelineSecret secret;
        using (var document = LocalDocument.Open(options))
        {
            timeline = document.TimelineId;
            secret = document.TimelineSecret;
            document.Mutate(new CreateSchema());
        }

        using (var document = LocalDocument.Open(options))
        {
            Assert.Equal(timeline, document.TimelineId);
            Assert.Equal(secret, document.TimelineSecret);
        }

        Assert.Equal(secret.ToHex(), File.ReadAllText(Path.Combine(directory.Path, "timeline.secret")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory.Path, "timeline.secret")));
        }

        foreach (string file in Directory.EnumerateFiles(directory.Path, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "timeline.secret"))
        {
            byte[] bytes = File.ReadAllBytes(file);
            Assert.True(bytes.AsSpan().IndexOf(secret.Bytes) < 0, $"{file} holds the secret");
            Assert.DoesNotContain(secret.ToHex(), System.Text.Encoding.ASCII.GetString(bytes), StringComparison.OrdinalIgnoreCase);
        }

        // A directory of the previous version (an id, no secret) keeps its id and gets a new secret.
        File.Delete(Path.Combine(directory.Path, "timeline.secret"));
        using (var document = LocalDocument.Open(options))
        {
            Assert.Equal(timeline, document.TimelineId);
            Assert.True(document.TimelineSecret.IsValid);
            Assert.NotEqual(secret, document.TimelineSecret);
        }
    }
}
