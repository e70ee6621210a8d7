using System.Text;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>Presence payloads at and over the server's limit, over real Kestrel and WebSockets, frame by frame.</summary>
public sealed class PresenceLimitAttackTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AStateOfExactlyTheLimitIsFannedOutOneByteMoreIsRefusedAndAnEmptyOneIsALeave()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory, o => o.Presence.MaxStateBytes = 1000);
        await using RawSyncSocket publisher = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        await using RawSyncSocket viewer = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
        foreach (RawSyncSocket raw in new[] { publisher, viewer })
        {
            await raw.SendAsync(TimelineSecrets.Open("counters", TimelineId.New(), LsnRange.Empty));
            await raw.ExpectAsync<DocumentOpenedMessage>();
        }

        byte[] atLimit = new byte[1000];
        atLimit.AsSpan().Fill((byte)'a');
        await publisher.SendAsync(new PresenceUpdateMessage("counters", atLimit));
        PresenceChangedMessage seen = await viewer.ExpectAsync<PresenceChangedMessage>();
        Assert.True(seen.Present);
        Assert.Equal(1000, seen.State.Length);

        await publisher.SendAsync(new PresenceUpdateMessage("counters", new byte[1001]));
        ErrorMessage error = await publisher.ExpectAsync<ErrorMessage>();
        Assert.Equal(ProtocolErrorCode.PresenceTooLarge, error.Code);

        // The over-limit state reached nobody: the viewer's next message is the next valid state, then the leave.
        await publisher.SendAsync(new PresenceUpdateMessage("counters", Encoding.UTF8.GetBytes("small")));
        PresenceChangedMessage next = await viewer.ExpectAsync<PresenceChangedMessage>();
        Assert.Equal("small", Encoding.UTF8.GetString(next.State.Span));
        await publisher.SendAsync(new PresenceUpdateMessage("counters", ReadOnlyMemory<byte>.Empty));
        PresenceChangedMessage left = await viewer.ExpectAsync<PresenceChangedMessage>();
        Assert.False(left.Present);
        Assert.Equal(seen.PeerId, left.PeerId);
    }
}
