using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>A slow viewer's presence queue: newest state per peer, bounded in bytes.</summary>
public sealed class PresenceOutboxTests
{
    private static PresenceChangedMessage State(string peer, string text) =>
        new("doc", peer, true, System.Text.Encoding.UTF8.GetBytes(text));

    private static async Task<List<PresenceChangedMessage>> TakeAllAsync(PresenceOutbox outbox)
    {
        var all = new List<PresenceChangedMessage>();
        outbox.Complete(); // nothing more comes: TakeAsync ends once empty
        var batch = new List<PresenceChangedMessage>();
        while (await outbox.TakeAsync(batch, 10, CancellationToken.None))
        {
            all.AddRange(batch);
            batch.Clear();
        }

        return all;
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task ASlowViewerGetsOnlyTheNewestStateOfEachPeer()
    {
        var outbox = new PresenceOutbox(1024 * 1024);
        for (int i = 0; i < 1000; i++)
        {
            outbox.Add(State("p" + (i % 3), "state " + i));
        }

        Assert.True(outbox.Bytes < 1024, $"{outbox.Bytes} bytes wait for 3 peers");
        var batch = new List<PresenceChangedMessage>();
        Assert.True(await outbox.TakeAsync(batch, 100, CancellationToken.None));
        Assert.Equal(new[] { "state 999", "state 997", "state 998" }.OrderBy(s => s), batch.Select(m => System.Text.Encoding.UTF8.GetString(m.State.Span)).OrderBy(s => s));
        Assert.Equal(0, outbox.Bytes);
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task ManyPeersStayUnderTheByteBoundAndTheNewestSurvive()
    {
        var outbox = new PresenceOutbox(20_000);
        string padding = new('x', 1000);
        for (int i = 0; i < 500; i++)
        {
            outbox.Add(State("p" + i, i + padding));
            Assert.True(outbox.Bytes <= 20_000, $"{outbox.Bytes} bytes after {i + 1} peers");
        }

        List<PresenceChangedMessage> left = await TakeAllAsync(outbox);
        Assert.Empty(left); // Complete drops what waits: a connection that ended sends nothing
        var fresh = new PresenceOutbox(20_000);
        for (int i = 0; i < 500; i++)
        {
            fresh.Add(State("p" + i, i + padding));
        }

        var batch = new List<PresenceChangedMessage>();
        Assert.True(await fresh.TakeAsync(batch, 1000, CancellationToken.None));
        Assert.InRange(batch.Count, 10, 20);
        Assert.Equal("p499", batch[^1].PeerId); // the oldest went first
    }
}
