using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;
using Xunit.Abstractions;

namespace SqlSync.Server.Tests;

/// <summary>
/// Documents are closed when nobody uses them (idle timeout, a cap on open documents with the least recently
/// used closing first) and reopened on the next open without clients noticing (issue 13, case 2).
/// </summary>
[Collection(RunAlone.Name)]
public sealed class DocumentLifecycleTests(ITestOutputHelper output) : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ThousandsOfDocumentsOpenedAndReleasedLetGoOfTheirFilesOnceIdle()
    {
        const int Connections = 6;
        const int PerConnection = 500;
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.DocumentIdleTimeout = TimeSpan.FromMilliseconds(500);
            options.MaxOpenDocuments = Connections * PerConnection + 100;
            options.MaxDocumentsCreatedPerHour = null; // every raw link is one anonymous principal (127.0.0.1)
            options.MaxOpenDocumentsPerPrincipal = null;
        });
        int filesAtStart = OpenFiles();
        var links = new List<RawSyncSocket>();
        try
        {
            for (int c = 0; c < Connections; c++)
            {
                RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
                links.Add(raw);
                for (int i = 0; i < PerConnection; i++)
                {
                    await raw.SendAsync(new OpenDocumentMessage($"doc-{c}-{i}", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
                }

                for (int i = 0; i < PerConnection; i++)
                {
                    await raw.ExpectAsync<DocumentOpenedMessage>();
                }
            }

            int peakFiles = OpenFiles();
            output.WriteLine($"open files: {filesAtStart} at start, {peakFiles} with {server.Host.OpenDocumentCount} documents open");
            Assert.Equal(Connections * PerConnection, server.Host.OpenDocumentCount); // links hold them open
            Assert.True(peakFiles - filesAtStart >= Connections * PerConnection, "each open document holds files");
        }
        finally
        {
            foreach (RawSyncSocket raw in links)
            {
                await raw.DisposeAsync();
            }
        }

        await Eventually.TrueAsync(() => server.Host.OpenDocumentCount == 0, "every released document closes once idle", TimeSpan.FromSeconds(60));
        // Every file of the documents is let go; the process may have loaded an assembly or two meanwhile.
        await Eventually.TrueAsync(() => OpenFilesUnder(ServerDirectory) == 0, "no file of the data directory is open", TimeSpan.FromSeconds(30));
        Assert.True(OpenFiles() <= filesAtStart + 64, $"open files come back down: {OpenFiles()}, {filesAtStart} at start");
        output.WriteLine($"open files after idle close: {OpenFiles()}");
    }

    /// <summary>
    /// Documents touched once and idle-closed give back what they held: no file of theirs stays open, SQLite's heap and
    /// the managed heap come back to about where they were, and once the burst of closes is over the server runs its
    /// memory release (a full collection and a trim of malloc's free pages: docs/decisions/0016). The bounds are generous;
    /// the figures are in docs/benchmarks.md ("Hostile load").
    /// </summary>
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task DocumentsTouchedOnceAndIdleClosedGiveBackTheirFilesAndMemory()
    {
        const int Connections = 4;
        const int PerConnection = 150;
        long releases = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SqlSyncMetrics.MeterName && instrument.Name == "sqlsync.memory.releases")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref releases, value));
        listener.Start();
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.DocumentIdleTimeout = TimeSpan.FromMilliseconds(300);
            options.MaxDocumentsCreatedPerHour = null; // every raw link is one anonymous principal (127.0.0.1)
            options.MaxOpenDocumentsPerPrincipal = null;
            options.ReleaseMemoryAfterClosing = 100;
        });

        // A first document opened and closed, so that what the first open loads once (SQLite, the VFS, code) is in the baseline.
        await OpenOnceAsync(server.SyncUri, "warm-up");
        await Eventually.TrueAsync(() => server.Host.OpenDocumentCount == 0, "the warm-up document closes", TimeSpan.FromSeconds(30));
        int filesAtStart = OpenFiles();
        long managedAtStart = GC.GetTotalMemory(forceFullCollection: true);
        long sqliteAtStart = SQLitePCL.raw.sqlite3_memory_used();
        for (int c = 0; c < Connections; c++)
        {
#pragma warning disable CA2000 // false positive: the await using disposes it on every path
            await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
#pragma warning restore CA2000
            for (int i = 0; i < PerConnection; i++)
            {
                await raw.SendAsync(new OpenDocumentMessage($"once-{c}-{i}", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
            }

            for (int i = 0; i < PerConnection; i++)
            {
                await raw.ExpectAsync<DocumentOpenedMessage>();
            }
        }

        await Eventually.TrueAsync(() => server.Host.OpenDocumentCount == 0, "every document touched once closes once idle", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => Interlocked.Read(ref releases) >= 1, "the server releases memory once the closes are over", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => OpenFilesUnder(ServerDirectory) == 0, "no file of the data directory is open", TimeSpan.FromSeconds(30));
        long managed = GC.GetTotalMemory(forceFullCollection: true) - managedAtStart;
        long sqlite = SQLitePCL.raw.sqlite3_memory_used() - sqliteAtStart;
        output.WriteLine($"after {Connections * PerConnection} documents touched once and closed: managed heap {managed / 1024} KiB more, SQLite heap {sqlite / 1024} KiB more, open files {OpenFiles()} ({filesAtStart} at start)");
        Assert.True(managed < 16L << 20, $"the managed heap holds {managed >> 20} MiB more after {Connections * PerConnection} documents closed");
        Assert.True(sqlite < 1L << 20, $"SQLite's heap holds {sqlite >> 10} KiB more after every document closed");
        Assert.True(OpenFiles() <= filesAtStart + 16, $"open files come back down: {OpenFiles()}, {filesAtStart} at start");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AClosedDocumentReopensUnnoticedForAConnectedAndAReconnectingClient()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.DocumentIdleTimeout = TimeSpan.FromMilliseconds(200));

        // b stays connected with y for longer than the idle timeout: a document in use is never closed.
        using LocalDocument y = Client("b", "y");
        y.Mutate(new CounterMutations.CreateSchemaMutation());
        await using var b = Connect(server, y);
        await ConvergedAsync(y, server.Document("y"), "b");

        using LocalDocument x = Client("a", "x");
        x.Mutate(new CounterMutations.CreateSchemaMutation());
        x.Mutate(new CounterMutations.AddMutation("n", 1));
        await using (var a = Connect(server, x))
        {
            await ConvergedAsync(x, server.Document("x"), "a");
        }

        await Eventually.TrueAsync(() => !server.Host.IsOpen("x"), "x closes once its client left");
        Assert.True(server.Host.IsOpen("y"), "y, idle longer than x but open on b's connection, stays open");

        // The connected client opens the closed document: it reopens with a's mutation in it.
        using LocalDocument bx = Client("b", "x");
        b.Add(bx);
        await ConvergedAsync(bx, server.Document("x"), "b's replica of x");
        Assert.Equal(1, Value(bx, "n"));
        y.Mutate(new CounterMutations.AddMutation("m", 2));
        await ConvergedAsync(y, server.Document("y"), "b after the reopen");
        Assert.Equal(1, b.ConnectionCount);
        Assert.Null(b.LastError);
        await b.DisposeAsync();

        // a reconnects after x closed again, with a mutation made offline.
        await Eventually.TrueAsync(() => !server.Host.IsOpen("x") && !server.Host.IsOpen("y"), "both documents close once b left");
        x.Mutate(new CounterMutations.AddMutation("n", 10));
        await using (var a = Connect(server, x))
        {
            await ConvergedAsync(x, server.Document("x"), "a after reconnecting");
            Assert.Null(a.LastError);
        }

        Assert.Equal(11, Value(x, "n"));
        Assert.Equal(11, Value(server.Document("x"), "n"));
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task TheLeastRecentlyUsedIdleDocumentMakesRoomAndAnOpenBeyondTheCapIsRefusedAlone()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.MaxOpenDocuments = 3;
            options.DocumentIdleTimeout = Timeout.InfiniteTimeSpan;
        });
        foreach (string id in new[] { "a", "b", "c" })
        {
            await OpenOnceAsync(server.SyncUri, id);
        }

        await Eventually.TrueAsync(() => server.Host.OpenDocumentCount == 3, "a, b and c are open (and idle)");
        await using RawSyncSocket d = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await OpenAsync(d, "d");
        Assert.False(server.Host.IsOpen("a"), "a, the least recently used, made room");
        Assert.True(server.Host.IsOpen("b") && server.Host.IsOpen("c") && server.Host.IsOpen("d"));

        // b, c and d in use: a fourth document is refused on its own, and the connection goes on.
        await using RawSyncSocket bc = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await OpenAsync(bc, "b");
        await using RawSyncSocket cc = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await OpenAsync(cc, "c");
        await using RawSyncSocket e = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await e.SendAsync(new OpenDocumentMessage("e", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        ErrorMessage refused = await e.ExpectAsync<ErrorMessage>();
        Assert.Equal(ProtocolErrorCode.TooManyDocuments, refused.Code);
        Assert.Equal("e", refused.DocumentId);
        Assert.Equal(3, server.Host.OpenDocumentCount);
        await OpenAsync(e, "d"); // the link is still open, and an open document can be shared

        // Once b is released it is the one to make room, and e opens.
        await bc.DisposeAsync();
        await Eventually.TrueAsync(() => TryOpen(e, "e").GetAwaiter().GetResult(), "e opens once b is idle", TimeSpan.FromSeconds(30));
        Assert.False(server.Host.IsOpen("b"));
        Assert.True(server.Host.IsOpen("c") && server.Host.IsOpen("d") && server.Host.IsOpen("e"));
    }

    /// <summary>Opens <paramref name="documentId"/> on a connection of its own, closed after.</summary>
    private static async Task OpenOnceAsync(Uri uri, string documentId)
    {
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(uri);
        await OpenAsync(raw, documentId);
    }

    private static async Task OpenAsync(RawSyncSocket raw, string documentId)
    {
        await raw.SendAsync(new OpenDocumentMessage(documentId, TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        await raw.ExpectAsync<DocumentOpenedMessage>(o => o.DocumentId == documentId);
    }

    /// <summary>Opens <paramref name="documentId"/>; false when the server refused it with TooManyDocuments.</summary>
    private static async Task<bool> TryOpen(RawSyncSocket raw, string documentId)
    {
        await raw.SendAsync(new OpenDocumentMessage(documentId, TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        while (true)
        {
            switch (await raw.ReceiveAsync())
            {
                case DocumentOpenedMessage opened when opened.DocumentId == documentId:
                    return true;
                case ErrorMessage { Code: ProtocolErrorCode.TooManyDocuments } error when error.DocumentId == documentId:
                    return false;
                case null or ErrorMessage:
                    throw new InvalidOperationException("The link closed or failed.");
            }
        }
    }

    /// <summary>This process's open file descriptors whose file is under <paramref name="directory"/>.</summary>
    internal static int OpenFilesUnder(string directory) =>
        Directory.GetFileSystemEntries("/proc/self/fd").Count(fd => TargetOf(fd).StartsWith(directory, StringComparison.Ordinal));

    private static string TargetOf(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget ?? "";
        }
        catch (IOException)
        {
            return ""; // closed meanwhile
        }
    }

    /// <summary>This process's open file descriptors (Linux; the test needs /proc).</summary>
    internal static int OpenFiles() => Directory.GetFileSystemEntries("/proc/self/fd").Length;
}
