using System.Net.WebSockets;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Server.Tests;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// Backpressure through the cluster, as on the single server: an upload relayed to a document's grain waits while the
/// document has more than <c>MaxQueuedMutations</c> unapplied, so a fast client cannot queue without bound in the grain.
/// </summary>
public sealed class ClusterBackpressureTests
{
    private const int MaxQueued = 5;
    private const int Uploads = 20;
    private const int PerUpload = 10; // more per upload than a step applies: the relay's one call at a time cannot pace it

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AnUploadRelayedToTheGrainWaitsWhileItsDocumentIsAtItsMaximum()
    {
        var paced = new PacedReducer(TimeSpan.FromMilliseconds(10));
        await using SyncCluster cluster = await SyncCluster.StartAsync(2, options =>
        {
            options.ReducerFor = _ => paced;
            options.MaxQueuedMutations = MaxQueued;
            options.StepBatchSize = 1; // one mutation per step: the gate is free between them, and uploads get in
        });
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await RawFrames.Connect(socket, cluster.UriOf(cluster.Silos[1]), "paced", timeout.Token, SyncProtocol.DefaultMaxFrameBytes);
        await RawFrames.Send(socket, new OpenDocumentMessage("paced", TimelineId.New(), LsnRange.Empty, TimelineSecret.New()), timeout.Token);
        while (await RawFrames.Receive(socket, timeout.Token) is not DocumentOpenedMessage)
        {
        }

        ClusterSilo host = cluster.HostOf("paced") ?? throw new InvalidOperationException("no silo has the document open after its open");
        Documents.CoordinatorDocument document = host.Host.GetDocument("paced");
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

        // 20 uploads of 10 mutations each, as fast as the socket takes them (the client reads no replies meanwhile: they
        // are small); the steps apply one mutation in 10 ms.
        var writer = new MutationWriter();
        for (int u = 0; u < Uploads; u++)
        {
            var entries = new ReadOnlyMemory<byte>[PerUpload];
            for (int m = 0; m < PerUpload; m++)
            {
                writer.Reset();
                new LogMutations.LogMutation($"u{u}m{m}").WriteTo(writer);
                entries[m] = TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan);
            }

            var lsns = LsnRange.Inclusive(new Lsn((ulong)(u * PerUpload)), new Lsn((ulong)((u + 1) * PerUpload) - 1));
            await RawFrames.Send(socket, new TimelineEntriesMessage("paced", new JournalPartial(lsns, entries)), timeout.Token);
        }

        await Eventually.TrueAsync(() => paced.Applied == Uploads * PerUpload && document.QueuedMutationCount == 0, "every upload applied", TimeSpan.FromSeconds(60));
        await done.CancelAsync();
        await sampling;

        // At most the maximum plus the one upload let in at it; without backpressure the queue grows by 9 per step.
        Assert.InRange(most, 1, MaxQueued + PerUpload);
    }
}
