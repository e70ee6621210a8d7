using System.Text.RegularExpressions;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// Disk full, over a real server with real clients: the document that hits it pauses (the failed step or
/// upload undone, the upload refused with <see cref="ProtocolErrorCode.StorageUnavailable"/> and no server
/// path), other documents keep syncing, and once space returns it resumes by itself with nothing lost.
/// The file-system faults are injected through <see cref="StorageFaults.Inject"/> (process-wide: each test
/// filters by its own directory, and the tests of this class run one at a time).
/// </summary>
public sealed partial class DiskFullTests : ServerTestBase
{
    private const int DiskFullErrno = 28; // ENOSPC: .NET puts the errno in IOException.HResult on Unix

    // Which writes fail: none, the storage journal's only (a step fails), or every write of the document.
    private const int NotFull = 0, StorageOnly = 1, Everything = 2;

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ADocumentOnAFullDiskPausesAndResumesByItselfWithNothingLost()
    {
        string fullDocument = Path.Combine(ServerDirectory, "full") + Path.DirectorySeparatorChar;
        int full = NotFull;
        int injected = 0;
        StorageFaults.Inject = (path, operation) =>
        {
            int now = Volatile.Read(ref full);
            bool fails = path.StartsWith(fullDocument, StringComparison.Ordinal)
                && (now == Everything || (now == StorageOnly && path.StartsWith(fullDocument + "storage", StringComparison.Ordinal)));
            if (!fails)
            {
                return null;
            }

            Interlocked.Increment(ref injected);
            return new IOException($"No space left on device : '{path}'", DiskFullErrno);
        };
        try
        {
            await using var server = await TestServer.StartAsync(ServerDirectory, options =>
            {
                options.StorageRetryMinDelay = TimeSpan.FromMilliseconds(20);
                options.StorageRetryMaxDelay = TimeSpan.FromMilliseconds(200);
            });

            using LocalDocument writer = Client("writer", "full");
            writer.Mutate(new CounterMutations.CreateSchemaMutation());
            writer.Mutate(new CounterMutations.AddMutation("x", 1));
            await using var client = Connect(server, writer);
            await ConvergedAsync(writer, server.Document("full"), "the writer, before the disk fills");
            LsnRange before = server.Document("full").StorageRange;

            // 1. A step fails (the storage journal cannot grow): uploads are still acknowledged, nothing is applied.
            Volatile.Write(ref full, StorageOnly);
            for (int i = 0; i < 5; i++)
            {
                writer.Mutate(new CounterMutations.AddMutation("x", 10));
            }

            await Eventually.TrueAsync(() => server.Document("full").IsPaused, "a step hits the full disk and the document pauses");
            Assert.Equal(before, server.Document("full").StorageRange); // nothing half-published

            // 2. Every write fails: an upload is refused with its own code, naming no server path.
            Volatile.Write(ref full, Everything);
            await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
            {
                await raw.SendAsync(new OpenDocumentMessage("full", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())));
                await raw.ExpectAsync<DocumentOpenedMessage>();
                await raw.SendAsync(new TimelineEntriesMessage("full", RawSyncSocket.AddEntries(Lsn.Zero, 3, "raw")));
                ErrorMessage refused = await raw.ExpectAsync<ErrorMessage>();
                Assert.Equal(ProtocolErrorCode.StorageUnavailable, refused.Code);
                Assert.Equal("full", refused.DocumentId);
                Assert.Contains("no space left", refused.Message, StringComparison.Ordinal);
                AssertNoServerPath(refused.Message);
            }

            // Another document on the same server keeps syncing meanwhile.
            using LocalDocument other = Client("other", "free");
            other.Mutate(new CounterMutations.CreateSchemaMutation());
            other.Mutate(new CounterMutations.AddMutation("y", 7));
            await using (var otherClient = Connect(server, other))
            {
                await ConvergedAsync(other, server.Document("free"), "a client of another document");
            }

            // Still paused: each retry reloads it, and its next write fails again.
            await Eventually.TrueAsync(() => server.Document("full").IsPaused, "the document is paused while the disk is full");
            Assert.Equal(1, Value(server.Document("full"), "x"));
            Assert.Contains(server.Logs.Lines, line => line.Message.Contains("Document 'full' paused after a storage fault", StringComparison.Ordinal));

            // 3. Space returns: the document resumes without a restart and every mutation arrives once.
            for (int i = 0; i < 5; i++)
            {
                writer.Mutate(new CounterMutations.AddMutation("x", 100));
            }

            Volatile.Write(ref full, NotFull);
            await ConvergedAsync(writer, server.Document("full"), "the writer, after space returned");
            Assert.False(server.Document("full").IsPaused);
            Assert.Equal(1 + 50 + 500, Value(server.Document("full"), "x"));
            Assert.Equal(1 + 50 + 500, Value(writer, "x"));
            Assert.True(Volatile.Read(ref injected) > 0);
        }
        finally
        {
            StorageFaults.Inject = null;
        }
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnAcknowledgedUploadSurvivesARestartWhileTheDocumentIsPaused()
    {
        string storage = Path.Combine(ServerDirectory, "counters", "storage") + Path.DirectorySeparatorChar;
        bool full = false;
        StorageFaults.Inject = (path, _) => Volatile.Read(ref full) && path.StartsWith(storage, StringComparison.Ordinal)
            ? new IOException("No space left on device", DiskFullErrno) : null;
        using LocalDocument writer = Client("writer");
        try
        {
            await using (var server = await TestServer.StartAsync(ServerDirectory))
            {
                writer.Mutate(new CounterMutations.CreateSchemaMutation());
                writer.Mutate(new CounterMutations.AddMutation("x", 1));
                await using var client = Connect(server, writer);
                await ConvergedAsync(writer, server.Document("counters"), "the writer, before the disk fills");

                Volatile.Write(ref full, true);
                writer.Mutate(new CounterMutations.AddMutation("x", 3));
                await Eventually.TrueAsync(() => server.Document("counters").IsPaused, "the step hits the full disk");
                await Eventually.TrueAsync(() => server.Document("counters").GetTimelineRange(writer.TimelineId).Next.Value == 3, "the upload is received");
                Assert.Equal(1, Value(server.Document("counters"), "x"));
            }
        }
        finally
        {
            StorageFaults.Inject = null;
        }

        await using var restarted = await TestServer.StartAsync(ServerDirectory);
        await using var again = Connect(restarted, writer);
        await ConvergedAsync(writer, restarted.Document("counters"), "the writer after a restart");
        Assert.Equal(4, Value(restarted.Document("counters"), "x"));
    }

    [TmpfsFact]
    [Trait("Category", "Hostile")]
    public async Task ARealFullDiskPausesTheDocumentUntilSpaceIsFreed()
    {
        using SmallTmpfs disk = SmallTmpfs.Mount(ServerDirectory, "2m");
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.FsyncOnAppend = true;
            options.StorageRetryMinDelay = TimeSpan.FromMilliseconds(20);
            options.StorageRetryMaxDelay = TimeSpan.FromMilliseconds(200);
        });
        using LocalDocument writer = Client("writer");
        writer.Mutate(new CounterMutations.CreateSchemaMutation());
        writer.Mutate(new CounterMutations.AddMutation("x", 1));
        await using var client = Connect(server, writer);
        await ConvergedAsync(writer, server.Document("counters"), "the writer, before the disk fills");

        // Fill the disk to the last byte.
        string filler = Path.Combine(ServerDirectory, "filler");
        IOException? full = null;
        using (var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1))
        {
            byte[] chunk = new byte[4096];
            try
            {
                for (int i = 0; i < 2048; i++)
                {
                    stream.Write(chunk);
                }
            }
            catch (IOException e)
            {
                full = e;
            }
        }

        Assert.NotNull(full);
        Assert.True(StorageFaults.IsDiskFull(full), $"ENOSPC is recognised (HResult {full.HResult}).");

        // Large mutations: the upload or the step cannot be written; the document pauses.
        byte[] payload = new byte[16 * 1024];
        for (int i = 0; i < 8; i++)
        {
            writer.Mutate(new CounterMutations.StoreMutation($"blob{i}", payload));
            writer.Mutate(new CounterMutations.AddMutation("x", 10));
        }

        await Eventually.TrueAsync(() => server.Document("counters").IsPaused, "the document pauses on the full disk");
        Assert.Equal(1, Value(server.Document("counters"), "x"));

        File.Delete(filler);
        await ConvergedAsync(writer, server.Document("counters"), "the writer, after space was freed");
        Assert.False(server.Document("counters").IsPaused);
        Assert.Equal(81, Value(server.Document("counters"), "x"));
        Assert.Equal(81, Value(writer, "x"));
        Assert.Equal(8L, server.Document("counters").Query("SELECT count(*) FROM blobs")[0][0]);
        Assert.Contains(server.Logs.Lines, line => line.Message.Contains("paused after a storage fault", StringComparison.Ordinal));
    }

    internal static void AssertNoServerPath(string message)
    {
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd(Path.DirectorySeparatorChar), message, StringComparison.Ordinal);
        Assert.DoesNotMatch(AbsolutePath(), message);
    }

    [GeneratedRegex(@"(^|[\s'""(])(/[^\s/]+){2,}|[A-Za-z]:\\")]
    private static partial Regex AbsolutePath();
}
