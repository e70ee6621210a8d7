using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace SqlSync.Server.Tests;

/// <summary>Attack review 2: where the issue-13 defences do not hold.</summary>
[Collection(RunsAlone.Name)] // one test measures the managed heap
public sealed class AttackReview2Tests : ServerTestBase
{
    /// <summary>
    /// Entries assembled from parts count against the server-wide receive budget (MaxReceiveBufferBytes): anonymous
    /// clients that each open a document, send the first parts of an entry and then go quiet hold at most the budget
    /// between them; the parts that do not fit are refused ServerBusy. When the sockets go, the budget is whole again.
    /// (Before, each link's EntryAssembler grew up to MaxEntryBytes outside the budget: 136 MiB held past 4 MiB.)
    /// </summary>
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task UnfinishedLargeEntriesCountAgainstTheReceiveBudget()
    {
        const long Budget = 8L << 20;
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.MaxReceiveBufferBytes = Budget);
        ReceiveBudget budget = server.Services.GetRequiredService<ConnectionLimits>().Budget;
        const int Sockets = 12;
        const int Part = 512 * 1024;
        const int EntryLength = 6 << 20; // within the per-connection cap (the budget); twelve of them are 72 MiB
        const int PartsEach = EntryLength / Part - 1; // all but the last: each entry stays unfinished
        var sockets = new List<RawSyncSocket>();
        try
        {
            for (int i = 0; i < Sockets; i++)
            {
                RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
                sockets.Add(raw);
                await raw.SendAsync(TimelineSecrets.Open($"hog-{i}", TimelineId.New(), LsnRange.Empty));
                await raw.ExpectAsync<DocumentOpenedMessage>();
            }

            long before = GC.GetTotalMemory(forceFullCollection: true);
            byte[] bytes = new byte[Part];
            new Random(13).NextBytes(bytes);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var refused = new bool[Sockets];
            for (int p = 0; p < PartsEach; p++)
            {
                for (int i = 0; i < Sockets; i++)
                {
                    if (!refused[i])
                    {
                        try
                        {
                            await sockets[i].SendAsync(new TimelineEntryPartMessage($"hog-{i}", Lsn.Zero, EntryLength, p * Part, bytes)).WaitAsync(deadline.Token);
                        }
                        catch (System.Net.WebSockets.WebSocketException)
                        {
                            refused[i] = true; // the server refused and closed: what it said is read below
                        }
                    }
                }
            }

            // The server refuses what does not fit as it reads it (one log line per refused link); one 6 MiB entry fits.
            await Eventually.TrueAsync(() => server.Logs.Lines.Count(l => l.Message.Contains("ServerBusy", StringComparison.Ordinal)) >= Sockets - 1,
                "the entries over the budget are refused", TimeSpan.FromSeconds(60));
            long held = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(budget.HeldBytes <= Budget, $"the budget lends {budget.HeldBytes} bytes, over its {Budget}");
            // The process's whole managed heap: the entry that fits, frames in flight and buffers pooled after use count
            // too, so the bound is loose; without the budget the unfinished entries alone hold 66 MiB.
            Assert.True(held < 4 * Budget,
                $"the server holds {held >> 20} MiB for {Sockets} unfinished entries of idle sockets, over a receive budget of {Budget >> 20} MiB");

            // Each refused link was closed for ServerBusy (a socket whose later send failed cannot read its error frame any more);
            // any error frame that can be read says so.
            // One entry fits; when the six first parts' frames arrive together even it may not (their buffers share the budget).
            Assert.InRange(server.Logs.Lines.Count(l => l.Message.Contains("ServerBusy", StringComparison.Ordinal)), Sockets - 1, Sockets);
            for (int i = 0; i < Sockets; i++)
            {
                if (refused[i])
                {
                    continue;
                }

                SyncMessage? reply;
                do
                {
                    reply = await sockets[i].ReceiveAsync(TimeSpan.FromSeconds(2)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
                }
                while (reply is StorageEntriesMessage); // the document's first storage, pushed at open

                Assert.True(reply is null or ErrorMessage { Code: ProtocolErrorCode.ServerBusy }, $"socket {i}: {reply}");
            }
        }
        finally
        {
            foreach (RawSyncSocket raw in sockets)
            {
                await raw.DisposeAsync();
            }
        }

        await Eventually.TrueAsync(() => budget.HeldBytes == 0, "the budget is whole again once the sockets are gone", TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// One connection may hold at most MaxEntryBytesPerConnection (at most the budget) for an entry in parts: a larger
    /// entry is refused at its first part with FrameTooLarge, before the server holds any of it; a finished entry gives
    /// its bytes back, and a link whose document fails drops its unfinished entry.
    /// </summary>
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnEntryOverThePerConnectionCapIsRefusedAtItsFirstPartAndAFinishedOneGivesItsBytesBack()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.MaxEntryBytesPerConnection = 2 << 20);
        ReceiveBudget budget = server.Services.GetRequiredService<ConnectionLimits>().Budget;
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(TimelineSecrets.Open("big", TimelineId.New(), LsnRange.Empty));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntryPartMessage("big", Lsn.Zero, (2 << 20) + 1, 0, new byte[1024]));
            ErrorMessage error = await raw.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.FrameTooLarge, error.Code);
            Assert.Contains("entry limit", error.Message, StringComparison.Ordinal);
        }

        // An honest entry in parts, within the cap, is applied; its buffer goes back to the budget.
        await using RawSyncSocket writer = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await writer.SendAsync(TimelineSecrets.Open("big", TimelineId.New(), LsnRange.Empty));
        await writer.ExpectAsync<DocumentOpenedMessage>();
        byte[] entry = RawSyncSocket.AddEntries(Lsn.Zero, 1).Entries[0].ToArray();
        int half = entry.Length / 2;
        await writer.SendAsync(new TimelineEntryPartMessage("big", Lsn.Zero, entry.Length, 0, entry.AsMemory(0, half)));
        await writer.SendAsync(new TimelineEntryPartMessage("big", Lsn.Zero, entry.Length, half, entry.AsMemory(half)));
        await writer.ExpectAsync<TimelineAckMessage>();
        await Eventually.TrueAsync(() => budget.HeldBytes == 0, "the finished entry's buffer is given back");
    }

    /// <summary>
    /// One principal cannot hold the server's open-document cap (MaxOpenDocuments): its opens beyond
    /// MaxOpenDocumentsPerPrincipal are refused one by one (TooManyDocuments, the link stays), so another principal still
    /// opens hers; and a read-only principal cannot create documents at all (DocumentNotFound, the link stays, nothing is
    /// written). Before, mallory (read-only) opened the cap's worth of new documents on one idle socket and alice was
    /// refused for as long as it lived.
    /// </summary>
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task OnePrincipalCannotHoldTheOpenDocumentCapAndAReaderCannotCreateDocuments()
    {
        const int Cap = 20;
        const int PerPrincipal = 5;
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.GetPrincipal = context => context.Request.Headers.Authorization.ToString() is { Length: > 7 } header ? header[7..] : null;
            options.Authorize = (context, _) => context.Request.Headers.Authorization.ToString() == "Bearer mallory" ? DocumentAccess.ReadOnly : DocumentAccess.ReadWrite;
            options.MaxOpenDocuments = Cap;
            options.MaxOpenDocumentsPerPrincipal = PerPrincipal;
            options.MaxDocumentsCreatedPerHour = Cap;
            options.DocumentIdleTimeout = TimeSpan.FromMilliseconds(200);
        });

        // A reader's open of a document that does not exist is refused on its own; nothing is created.
        await using RawSyncSocket mallory = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "mallory");
        for (int i = 0; i < 3; i++)
        {
            await mallory.SendAsync(TimelineSecrets.Open($"squat-{i}", TimelineId.New(), LsnRange.Empty));
            ErrorMessage refused = await mallory.ExpectAsync<ErrorMessage>();
            Assert.Equal(ProtocolErrorCode.DocumentNotFound, refused.Code);
            Assert.Equal($"squat-{i}", refused.DocumentId);
        }

        Assert.Empty(Directory.GetDirectories(ServerDirectory, "squat-*"));

        // A writer (trudy) holds her per-principal share, on two sockets; the rest is refused one by one.
        await using RawSyncSocket trudy1 = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "trudy");
        await using RawSyncSocket trudy2 = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "trudy");
        for (int i = 0; i < Cap; i++)
        {
            RawSyncSocket trudy = i % 2 == 0 ? trudy1 : trudy2;
            await trudy.SendAsync(TimelineSecrets.Open($"hold-{i}", TimelineId.New(), LsnRange.Empty));
            SyncMessage? reply = await OpenReplyAsync(trudy, $"hold-{i}");
            if (i < PerPrincipal)
            {
                Assert.True(reply is DocumentOpenedMessage, $"trudy's open {i}: {reply}");
            }
            else
            {
                Assert.True(reply is ErrorMessage { Code: ProtocolErrorCode.TooManyDocuments } error && error.DocumentId == $"hold-{i}", $"trudy's open {i}: {reply}");
            }
        }

        // mallory may still read what exists: an open of an existing document.
        await mallory.SendAsync(TimelineSecrets.Open("hold-0", TimelineId.New(), LsnRange.Empty));
        Assert.Equal(DocumentAccess.ReadOnly, (await mallory.ExpectAsync<DocumentOpenedMessage>()).Access);

        await using RawSyncSocket alice = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "alice");
        await alice.SendAsync(TimelineSecrets.Open("alice-notes", TimelineId.New(), LsnRange.Empty));
        SyncMessage? aliceReply = await OpenReplyAsync(alice, "alice-notes");
        Assert.True(aliceReply is DocumentOpenedMessage, $"alice's open of her own document while trudy holds her share: {aliceReply}");

        // trudy's share comes back when her sockets go.
        await trudy1.DisposeAsync();
        await trudy2.DisposeAsync();
        await using RawSyncSocket trudy3 = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri, "trudy");
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await trudy3.SendAsync(TimelineSecrets.Open("hold-19", TimelineId.New(), LsnRange.Empty));
            SyncMessage? reply = await OpenReplyAsync(trudy3, "hold-19");
            if (reply is DocumentOpenedMessage)
            {
                break;
            }

            Assert.True(reply is ErrorMessage { Code: ProtocolErrorCode.TooManyDocuments } && DateTime.UtcNow < deadline, $"trudy's open once her sockets are gone: {reply}");
            await Task.Delay(50); // the server lets go of her links just after they close
        }
    }

    /// <summary>The answer to an open of <paramref name="documentId"/>: its DocumentOpened, an error frame, or null (closed); pushed storage is skipped.</summary>
    private static async Task<SyncMessage?> OpenReplyAsync(RawSyncSocket raw, string documentId)
    {
        while (true)
        {
            SyncMessage? reply = await raw.ReceiveAsync(TimeSpan.FromSeconds(10));
            if (reply is null or ErrorMessage || reply is DocumentOpenedMessage opened && opened.DocumentId == documentId)
            {
                return reply;
            }
        }
    }

    /// <summary>
    /// Error frames strip absolute paths with a regex that stops at the first space, so a data directory whose path
    /// holds a space (C:\Users\Jane Doe\..., /home/jane/My Files/...) leaks the rest of it to any anonymous client
    /// whose document fails while serving it. Here the owner record cannot be written (its folder is a file, as a
    /// broken mount or a bad deploy would leave it): the IOException names the full path and the client gets it.
    /// </summary>
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ADataDirectoryWithASpaceLeaksItsPathInPerDocumentErrors()
    {
        string data = Path.Combine(Root, "Jane Doe", "secret-layout", "sqlsync-data");
        Directory.CreateDirectory(Path.Combine(data, "bad"));
        await File.WriteAllTextAsync(Path.Combine(data, "bad", "owners"), "not a directory");
        await using var server = await TestServer.StartAsync(data);
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await raw.SendAsync(TimelineSecrets.Open("bad", TimelineId.New(), LsnRange.Empty));
        await raw.ExpectAsync<DocumentOpenedMessage>();
        await raw.SendAsync(new TimelineEntriesMessage("bad", RawSyncSocket.AddEntries(Lsn.Zero, 1)));
        ErrorMessage error = await raw.ExpectAsync<ErrorMessage>();
        Assert.Equal("bad", error.DocumentId);
        Assert.DoesNotContain("secret-layout", error.Message, StringComparison.Ordinal);
    }
}
