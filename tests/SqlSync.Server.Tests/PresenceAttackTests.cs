using System.Text;
using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>
/// Presence under attack (issue 17, decision 0029), at the hub: publishes for documents never opened, after leaving
/// or after the document failed; 10,000 documents opened and left; 10,000 publishes a second; a viewer that never
/// reads; options at their limits.
/// </summary>
public sealed class PresenceAttackTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task<List<PresenceChangedMessage>> DrainAsync(PresenceOutbox outbox, TimeSpan quiet)
    {
        var all = new List<PresenceChangedMessage>();
        var batch = new List<PresenceChangedMessage>();
        while (true)
        {
            using var wait = new CancellationTokenSource(quiet);
            try
            {
                if (!await outbox.TakeAsync(batch, 1000, wait.Token))
                {
                    return all;
                }
            }
            catch (OperationCanceledException)
            {
                return all; // nothing more within the quiet time
            }

            all.AddRange(batch);
            batch.Clear();
        }
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task PublishesForDocumentsNotOpenedAfterLeavingOrAfterTheDocumentFailedLeaveNothing()
    {
        using var hub = new PresenceHub(new PresenceOptions());
        var viewer = new PresenceOutbox(1 << 20);
        var attacker = new PresenceOutbox(1 << 20);
        hub.Join(1, viewer);
        hub.Join(2, attacker);
        hub.Opened(1, "doc");

        // 10,000 documents it never opened (or was refused): nothing is created for them.
        for (int i = 0; i < 10_000; i++)
        {
            hub.Publish(2, "other-" + i, Text("x"));
        }

        hub.Publish(2, "doc", Text("not opened"));
        Assert.Equal(0, hub.StateCount);
        Assert.Equal(1, hub.DocumentCount);

        // The document failed on the link: its later publishes are dropped, its earlier state is withdrawn.
        hub.Opened(2, "doc");
        hub.Publish(2, "doc", Text("before"));
        hub.Closed(2, "doc");
        hub.Publish(2, "doc", Text("after close"));
        Assert.Equal(0, hub.StateCount);

        // A publish or an open racing the end of the connection resurrects nothing.
        hub.Opened(2, "doc");
        hub.Leave(2);
        hub.Publish(2, "doc", Text("after leave"));
        hub.Opened(2, "doc");
        hub.Leave(2);
        Assert.Equal(0, hub.StateCount);

        List<PresenceChangedMessage> seen = await DrainAsync(viewer, TimeSpan.FromMilliseconds(300));
        Assert.DoesNotContain(seen, m => m.Present && Encoding.UTF8.GetString(m.State.Span) is "not opened" or "after close" or "after leave");
        Assert.False(seen.Count > 0 && seen[^1].Present, "the viewer's last word on the attacker is that it left");
        Assert.Equal(0, attacker.Bytes);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void TenThousandDocumentsOpenedAndPublishedInAreAllForgottenWhenTheConnectionEnds()
    {
        using var hub = new PresenceHub(new PresenceOptions());
        var outbox = new PresenceOutbox(1 << 20);
        hub.Join(1, outbox);
        for (int i = 0; i < 10_000; i++)
        {
            hub.Opened(1, "doc-" + i);
            hub.Publish(1, "doc-" + i, Text("here"));
        }

        Assert.Equal(10_000, hub.StateCount);
        Assert.Equal(10_000, hub.DocumentCount);
        hub.Leave(1);
        Assert.Equal(0, hub.StateCount);
        Assert.Equal(0, hub.DocumentCount);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task TenThousandPublishesASecondReachAViewerAsAFewAndTheNewestArrives()
    {
        using var hub = new PresenceHub(new PresenceOptions { MaxPublishesPerSecond = 20 });
        var viewer = new PresenceOutbox(1 << 20);
        var flooder = new PresenceOutbox(1 << 20);
        hub.Join(1, viewer);
        hub.Join(2, flooder);
        hub.Opened(1, "doc");
        hub.Opened(2, "doc");
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 10_000; i++)
        {
            hub.Publish(2, "doc", Text("state " + i));
        }

        double seconds = started.Elapsed.TotalSeconds;
        var received = new List<PresenceChangedMessage>();
        using var cancel = new CancellationTokenSource(Deadline);
        var batch = new List<PresenceChangedMessage>();
        while (received.Count == 0 || Encoding.UTF8.GetString(received[^1].State.Span) != "state 9999")
        {
            Assert.True(await viewer.TakeAsync(batch, 1000, cancel.Token));
            received.AddRange(batch);
            batch.Clear();
        }

        double elapsed = started.Elapsed.TotalSeconds;

        // A burst of 20, then 20 a second (one more for the flush in flight), and waiting messages are replaced in place.
        Assert.True(received.Count <= 20 + (20 * elapsed) + 2, $"{received.Count} messages in {elapsed:F2} s for 10,000 publishes in {seconds:F2} s");
        Assert.Equal(0, flooder.Bytes); // a client is never sent its own state
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void AViewerThatNeverReadsHoldsAtMostItsBoundWhatever1000PeersPublish()
    {
        using var hub = new PresenceHub(new PresenceOptions { MaxQueuedBytesPerConnection = 64 * 1024, MaxPublishesPerSecond = 0 });
        var stuck = new PresenceOutbox(64 * 1024);
        hub.Join(0, stuck);
        hub.Opened(0, "doc");
        byte[] state = new byte[4096];
        for (long peer = 1; peer <= 1000; peer++)
        {
            hub.Join(peer, new PresenceOutbox(64 * 1024));
            hub.Opened(peer, "doc");
            for (int i = 0; i < 10; i++)
            {
                hub.Publish(peer, "doc", state);
            }

            Assert.True(stuck.Bytes <= 64 * 1024, $"{stuck.Bytes} bytes wait for a viewer that never reads");
        }

        Assert.True(stuck.Superseded > 9000, $"{stuck.Superseded} superseded");
        Assert.True(hub.MaxQueuedBytes <= 64 * 1024);
    }

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData(0, 30_000, 256 * 1024, 20)]
    [InlineData(-1, 30_000, 256 * 1024, 20)]
    [InlineData(4096, 0, 256 * 1024, 20)]
    [InlineData(4096, -5, 256 * 1024, 20)]
    [InlineData(4096, 30_000, 0, 20)]
    [InlineData(4096, 30_000, 4096, 20)] // a full-size state could never be queued
    [InlineData(4096, 30_000, 256 * 1024, -1)]
    public void PresenceOptionsThatCannotWorkAreRefusedWithAClearError(int maxStateBytes, int timeoutMs, long maxQueued, int perSecond)
    {
        var options = new PresenceOptions
        {
            MaxStateBytes = maxStateBytes,
            Timeout = TimeSpan.FromMilliseconds(timeoutMs),
            MaxQueuedBytesPerConnection = maxQueued,
            MaxPublishesPerSecond = perSecond,
        };
        SqlSyncException error = Assert.Throws<SqlSyncException>(() => new PresenceHub(options).Dispose());
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
        Assert.Contains("Presence", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnInfiniteTimeoutMeansStatesEndOnlyWithTheirConnection()
    {
        using var hub = new PresenceHub(new PresenceOptions { Timeout = Timeout.InfiniteTimeSpan });
        var viewer = new PresenceOutbox(1 << 20);
        hub.Join(1, viewer);
        hub.Join(2, new PresenceOutbox(1 << 20));
        hub.Opened(1, "doc");
        hub.Opened(2, "doc");
        hub.Publish(2, "doc", Text("stays"));

        // The sweeper runs every 10 ms or so at this setting: a state that expired at once would be gone by then.
        List<PresenceChangedMessage> seen = await DrainAsync(viewer, TimeSpan.FromMilliseconds(500));
        Assert.Single(seen);
        Assert.True(seen[0].Present);
        Assert.Equal(1, hub.StateCount);
        hub.Leave(2);
        Assert.Equal(0, hub.StateCount);
    }
}
