using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Issue 13, "bounded cost per connection", over real Kestrel and WebSockets: the pre-hello memory hog, the silent
/// socket, the server-wide receive budget and the client that does not read. The hog measures the process's
/// managed heap, so these run alone.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ConnectionLimitTests : ServerTestBase
{
    private const int MiB = 1 << 20;

    private static ReceiveBudget Budget(TestServer server) => server.Services.GetRequiredService<ConnectionLimits>().Budget;

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task UnfinishedOversizedMessagesBeforeHelloAreRefusedAtTheSmallLimitAndTheMemoryComesBack()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        ReceiveBudget budget = Budget(server);
        byte[] chunk = new byte[256 << 10];
        new Random(13).NextBytes(chunk);
        long heapBefore = ManagedHeap();

        // Each announces a 15 MiB hello and sends 2 MiB of it (today's code held all of it and more, for good).
        const int Hogs = 40;
        var hogs = new List<HostileSocket>();
        try
        {
            for (int i = 0; i < Hogs; i++)
            {
                hogs.Add(await HostileSocket.ConnectAsync(server.SyncUri));
            }

            Task<long>[] sending = hogs.Select(h => h.SendUnfinishedAsync(SyncMessageType.Hello, 15 * MiB, 2 * MiB, chunk)).ToArray();
            List<SyncMessage>[] answers = await Task.WhenAll(hogs.Select(h => h.ReadUntilClosedAsync()));
            await Task.WhenAll(sending);
            foreach (List<SyncMessage> answer in answers)
            {
                ErrorMessage error = Assert.IsType<ErrorMessage>(Assert.Single(answer));
                Assert.Equal(ProtocolErrorCode.FrameTooLarge, error.Code);
                Assert.Contains((64 << 10).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            hogs.ForEach(h => h.Dispose());
        }

        await Eventually.TrueAsync(() => budget.HeldBytes == 0, "every receive buffer is back in the budget");
        long heapAfter = ManagedHeap();
        Assert.True(heapAfter - heapBefore < 24 * MiB, $"the managed heap grew by {(heapAfter - heapBefore) / MiB} MiB after {Hogs} hostile connections closed");

        // The server still serves a well-behaved client.
        using LocalDocument good = Client("good");
        good.CreateSchema();
        good.Add("good", 1);
        await using SqlSyncClient sync = Connect(server.SyncUri, good);
        await ConvergedAsync(good, server.Document("counters"), "the good client");
        Assert.DoesNotContain(server.Logs.Lines, l => l.Exception is not null);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AMessageOverItsAnnouncedLengthIsRefusedBeforeHelloWithoutReadingOn()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        byte[] chunk = new byte[64 << 10];
        using HostileSocket liar = await HostileSocket.ConnectAsync(server.SyncUri);

        // The header announces 100 bytes; 1 MiB follows in the same message.
        Task<long> sending = liar.SendUnfinishedAsync(SyncMessageType.Hello, 100, MiB, chunk);
        ErrorMessage error = Assert.IsType<ErrorMessage>(Assert.Single(await liar.ReadUntilClosedAsync()));
        await sending;
        Assert.Equal(ProtocolErrorCode.MalformedFrame, error.Code);
        await Eventually.TrueAsync(() => Budget(server).HeldBytes == 0, "the buffer is back in the budget");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task SilentSocketsAreClosedAfterTheHelloDeadlineAndAPromptClientIsNot()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.HelloTimeout = TimeSpan.FromSeconds(1));
        await using RawSyncSocket prompt = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);

        var silent = new List<HostileSocket>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                silent.Add(await HostileSocket.ConnectAsync(server.SyncUri));
            }

            // One of them starts a hello and never finishes it: a trickle does not keep a connection alive either.
            Assert.True(await silent[0].SendAsync(HostileSocket.Header(SyncMessageType.Hello, 40), endOfMessage: false));
            List<SyncMessage>[] answers = await Task.WhenAll(silent.Select(s => s.ReadUntilClosedAsync()));
            Assert.All(answers, Assert.Empty);
            Assert.All(silent, s => Assert.Equal(WebSocketCloseStatus.PolicyViolation, s.Socket.CloseStatus));
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        // The client that said hello in time is still served after the deadline passed.
        await prompt.SendAsync(new OpenDocumentMessage("counters", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        await prompt.ExpectAsync<DocumentOpenedMessage>();
        await Eventually.TrueAsync(() => Budget(server).HeldBytes == 0, "no receive buffer is held");
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AMessageThatWouldGoOverTheServerWideBudgetIsRefusedAndTheBudgetComesBack()
    {
        const long BudgetBytes = MiB + (64 << 10);
        await using var server = await TestServer.StartAsync(ServerDirectory, options => options.MaxReceiveBufferBytes = BudgetBytes);
        ReceiveBudget budget = Budget(server);
        byte[] chunk = new byte[64 << 10];

        // A welcomed connection holds 1 MiB of an unfinished 4 MiB message.
        using HostileSocket hog = await HostileSocket.ConnectAsync(server.SyncUri);
        await hog.SendAsync(RawSyncSocket.Hello("hog"));
        Assert.Equal(16 * chunk.Length - 64, await hog.SendUnfinishedAsync(SyncMessageType.TimelineEntries, 4 * MiB, 16 * chunk.Length - 64, chunk));
        await Eventually.TrueAsync(() => budget.HeldBytes == MiB, $"the hog holds 1 MiB (the budget holds {budget.HeldBytes} bytes)");

        // Another client's hello fits in what is left; its 200 KiB message does not: refused, not waited for.
        await using (RawSyncSocket second = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await second.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 8000)));
            ErrorMessage busy = await second.ExpectErrorAsync();
            Assert.Equal(ProtocolErrorCode.ServerBusy, busy.Code);
        }

        // The hog leaves: its buffer comes back, and the same upload now goes through.
        hog.Socket.Abort();
        await Eventually.TrueAsync(() => budget.HeldBytes == 0, "the hog's buffer is back in the budget");
        await using (RawSyncSocket third = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await third.SendAsync(new OpenDocumentMessage("counters", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
            await third.ExpectAsync<DocumentOpenedMessage>();
            await third.SendAsync(new TimelineEntriesMessage("counters", RawSyncSocket.AddEntries(Lsn.Zero, 8000)));
            TimelineAckMessage ack = await third.ExpectAsync<TimelineAckMessage>();
            Assert.Equal(new Lsn(8000), ack.TimelineRange.Next);
        }

        Assert.Contains(server.Logs.Lines, l => l.Message.Contains(nameof(ProtocolErrorCode.ServerBusy), StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Lines, l => l.Exception is not null);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AClientThatDoesNotReadIsDisconnectedAfterTheSendTimeout()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.ReducerFor = _ => BulkMutations.Reducer.Instance;
            options.SendTimeout = TimeSpan.FromSeconds(1);
        });
        CoordinatorDocument coordinator = server.Document("bulk");

        // One step writes 16 MiB of random blobs: one storage entry, sent in parts without waiting for the client.
        var writer = new MutationWriter();
        new BulkMutations.FillBlobsMutation(1024, 16 * 1024).WriteTo(writer);
        byte[] entry = TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan);
        await using (RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri))
        {
            await raw.SendAsync(new OpenDocumentMessage("bulk", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntriesMessage("bulk", new JournalPartial(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), new ReadOnlyMemory<byte>[] { entry })));
            await raw.ExpectAsync<TimelineAckMessage>();
        }

        await Eventually.TrueAsync(() => coordinator.QueuedMutationCount == 0 && !coordinator.StorageRange.IsEmpty && LastEntryBytes(coordinator) > 16 * MiB,
            "the coordinator stepped the upload into one entry over 16 MiB", TimeSpan.FromSeconds(60));
        Lsn big = coordinator.StorageRange.Last;

        // Opens the document, acknowledges what comes before the large entry and never reads: the server sends the
        // entry's parts, which fill the socket, and then waits on this client.
        using HostileSocket sleeper = await HostileSocket.ConnectAsync(server.SyncUri, receiveBufferBytes: 64 << 10);
        await sleeper.SendAsync(RawSyncSocket.Hello("sleeper"));
        await sleeper.SendAsync(new OpenDocumentMessage("bulk", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        var ack = SyncMessageCodec.Encode(new StorageAckMessage("bulk", big.Value == 0 ? LsnRange.Empty : LsnRange.Inclusive(Lsn.Zero, new Lsn(big.Value - 1))));

        // The same acknowledgement again and again: the server does not read it while it waits; once it drops the
        // connection, sending fails.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await sleeper.SendAsync(ack, endOfMessage: true))
        {
            Assert.True(DateTime.UtcNow < deadline, "the server still holds the connection of a client that does not read" + string.Join("\n", server.Logs.Lines.Select(l => l.Category + " " + l.Level + " " + l.Message + " " + l.Exception)));
            await Task.Delay(50);
        }

        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AWelcomedClientThatNeverReadsIsDroppedByTheKeepAliveEvenWithNothingToSend()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
            options.KeepAliveTimeout = TimeSpan.FromSeconds(1);
        });
        using var gauge = new ConnectionGauge(server);

        // A client that waits with a receive pending (as a synced client does) answers the pings.
        await using RawSyncSocket reader = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        Task<SyncMessage?> pending = reader.ReceiveAsync(TimeSpan.FromSeconds(90)); // outlasts the wait below

        // Says hello and opens an empty document, then never reads again: it never answers a ping.
        using HostileSocket sleeper = await HostileSocket.ConnectAsync(server.SyncUri);
        await sleeper.SendAsync(RawSyncSocket.Hello("sleeper"));
        await sleeper.SendAsync(new OpenDocumentMessage("counters", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        await Eventually.TrueAsync(() => gauge.Connections == 2, "the server counts both connections");

        // The sleeper goes after a ping goes unanswered for a second; the reader, connected longer, stays.
        await Eventually.TrueAsync(() => gauge.Connections == 1, "the server dropped the client that does not read");
        Assert.False(pending.IsCompleted);
        Assert.Equal(WebSocketState.Open, reader.State);
    }

    private static int LastEntryBytes(CoordinatorDocument coordinator) =>
        coordinator.PrepareStorageSync(LsnRange.EmptyAt(coordinator.StorageRange.Last), 1)!.Entries[0].Length;

    /// <summary>The managed heap after a full, compacting collection (the server runs in this process).</summary>
    private static long ManagedHeap()
    {
        for (int i = 0; i < 3; i++)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes;
    }
}
