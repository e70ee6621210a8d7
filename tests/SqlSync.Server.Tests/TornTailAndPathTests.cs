using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;
using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// The server says when it cuts a torn tail at open (the file and the LSN, in its log), and the errors it
/// sends to clients name no server path, whatever failed.
/// </summary>
public sealed class TornTailAndPathTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task TheServerLogsATornTailItCutsWithTheFileAndLsn()
    {
        using LocalDocument writer = Client("writer");
        LsnRange range;
        await using (var server = await TestServer.StartAsync(ServerDirectory))
        {
            writer.Mutate(new CounterMutations.CreateSchemaMutation());
            writer.Mutate(new CounterMutations.AddMutation("x", 2));
            await using var client = Connect(server, writer);
            await ConvergedAsync(writer, server.Document("counters"), "the writer");
            range = server.Document("counters").StorageRange;
        }

        string segment = Directory.EnumerateFiles(Path.Combine(ServerDirectory, "counters", "storage"), "*.seg").Order(StringComparer.Ordinal).Last();
        long length = new FileInfo(segment).Length;
        await using (var stream = new FileStream(segment, FileMode.Append, FileAccess.Write))
        {
            stream.Write(new byte[] { 100, 0, 0, 0, 9, 9, 9 }); // the start of a frame, as an append cut short leaves it
        }

        await using var restarted = await TestServer.StartAsync(ServerDirectory);
        Assert.Equal(range, restarted.Document("counters").StorageRange);
        Assert.Equal(length, new FileInfo(segment).Length);
        Assert.Contains(restarted.Logs.Lines, line => line.Message.Contains("torn tail", StringComparison.Ordinal)
            && line.Message.Contains(segment, StringComparison.Ordinal) && line.Message.Contains($"LSN {range.Next}", StringComparison.Ordinal));

        await using var again = Connect(restarted, writer);
        writer.Mutate(new CounterMutations.AddMutation("x", 3));
        await ConvergedAsync(writer, restarted.Document("counters"), "the writer after the restart");
        Assert.Equal(5, Value(restarted.Document("counters"), "x"));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ACorruptDocumentsErrorNamesNoServerPath()
    {
        using LocalDocument writer = Client("writer", "bad");
        await using (var server = await TestServer.StartAsync(ServerDirectory))
        {
            writer.Mutate(new CounterMutations.CreateSchemaMutation());
            writer.Mutate(new CounterMutations.AddMutation("x", 2));
            await using var client = Connect(server, writer);
            await ConvergedAsync(writer, server.Document("bad"), "the writer");
        }

        // Damage the first frame of the storage journal: corruption, not a torn tail.
        string segment = Directory.EnumerateFiles(Path.Combine(ServerDirectory, "bad", "storage"), "*.seg").Order(StringComparer.Ordinal).First();
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[32 + 12 + 10] ^= 0x40;
        await File.WriteAllBytesAsync(segment, bytes);

        await using var restarted = await TestServer.StartAsync(ServerDirectory);
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(restarted.SyncUri);
        await raw.SendAsync(new OpenDocumentMessage("bad", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())));
        ErrorMessage error = await raw.ExpectAsync<ErrorMessage>();
        Assert.Equal("bad", error.DocumentId);
        Assert.Contains("storage journal is corrupt", error.Message, StringComparison.Ordinal);
        DiskFullTests.AssertNoServerPath(error.Message);

        // The log keeps the full detail.
        Assert.Contains(restarted.Logs.Lines, line => (line.Exception?.ToString() ?? line.Message).Contains("storage journal is corrupt", StringComparison.Ordinal));
    }

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData("Could not find a part of the path '/srv/sqlsync/data/doc/storage/00000000000000000000.seg'.", "Could not find a part of the path '<path>'.")]
    [InlineData("No space left on device : '/var/lib/app/x.tmp'", "No space left on device : '<path>'")]
    [InlineData(@"Access to the path 'C:\data\sqlsync\doc\journal.lock' is denied.", "Access to the path '<path>' is denied.")]
    [InlineData(@"Cannot open \\fileserver\share\doc now", "Cannot open <path> now")]
    [InlineData("a read/write link at 1/2 MiB/s; LSN [0, 3]", "a read/write link at 1/2 MiB/s; LSN [0, 3]")]
    [InlineData("line one\nline two", "line one line two")]
    public void ErrorFramesCarryNoAbsolutePath(string message, string sent)
    {
        ErrorMessage frame = WebSocketFrames.ErrorFor(new SqlSyncException(SqlSyncErrorCode.JournalIo, message));
        Assert.Equal(sent, frame.Message);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void AnErrorFromOutsideSqlSyncPassesOnlyItsType()
    {
        // An operating-system message may name a path the scrub cannot recognise (one with spaces).
        ErrorMessage frame = WebSocketFrames.ErrorFor(new IOException("The file '/home/Jane Doe/secret-layout/data/bad/owners' already exists."));
        Assert.Equal("IOException (details in the sender's log)", frame.Message);
    }
}
