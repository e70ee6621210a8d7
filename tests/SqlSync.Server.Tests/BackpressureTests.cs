using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// Backpressure on uploads: while a document has more than <c>MaxQueuedMutations</c> received and unapplied, its next
/// upload waits (without a thread) until the steps catch up, so a fast client cannot queue without bound.
/// </summary>
public sealed class BackpressureTests : ServerTestBase
{
    private const int MaxQueued = 5;
    private const int Uploads = 40;

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task UploadsWaitWhileTheDocumentHasItsMaximumOfMutationsUnapplied()
    {
        var paced = new PacedReducer(TimeSpan.FromMilliseconds(20));
        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.ReducerFor = _ => paced;
            options.MaxQueuedMutations = MaxQueued;
            options.StepBatchSize = 1; // one mutation per step: the gate is free between them, and uploads get in
        });
        await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await raw.SendAsync(new OpenDocumentMessage("paced", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        await raw.ExpectAsync<DocumentOpenedMessage>();
        CoordinatorDocument document = server.Document("paced");

        int most = 0;
        using var done = new CancellationTokenSource();
        Task sampling = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                most = Math.Max(most, document.QueuedMutationCount);
                await Task.Yield();
            }
        });

        // 40 uploads of one mutation each, sent as fast as the socket takes them; the steps take 20 ms each.
        for (int i = 0; i < Uploads; i++)
        {
            await raw.SendAsync(new TimelineEntriesMessage("paced", RawSyncSocket.AddEntries(new Lsn((ulong)i), 1)));
        }

        await Eventually.TrueAsync(() => paced.Applied == Uploads && document.QueuedMutationCount == 0, "every upload applied", TimeSpan.FromSeconds(60));
        await done.CancelAsync();
        await sampling;

        // At most the maximum plus the one upload let in at it; without backpressure nearly all 40 queue at once.
        Assert.InRange(most, 1, MaxQueued + 1);
    }
}
