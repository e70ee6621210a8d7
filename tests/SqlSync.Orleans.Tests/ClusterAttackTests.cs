using System.Net.WebSockets;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Orleans.Tests;

/// <summary>What a hostile client can do to a relaying silo: nothing reaches a grain that the single server would refuse.</summary>
public sealed class ClusterAttackTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AMessageForADocumentNeverOpenedClosesTheLinkAndTouchesNoGrain()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(2);
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(cluster.UriOf(cluster.Silos[1]), timeout.Token);
        await RawFrames.Send(socket, new HelloMessage(SyncProtocol.Version, SyncProtocol.Version, SyncProtocol.MinMaxFrameBytes, "hostile"), timeout.Token);
        Assert.IsType<WelcomeMessage>(await RawFrames.Receive(socket, timeout.Token));

        await RawFrames.Send(socket, new StorageAckMessage("never-opened", LsnRange.Empty), timeout.Token);
        var error = Assert.IsType<ErrorMessage>(await RawFrames.Receive(socket, timeout.Token));
        Assert.Equal(ProtocolErrorCode.UnexpectedMessage, error.Code);
        Assert.Null(await RawFrames.Receive(socket, timeout.Token)); // then the close
        Assert.All(cluster.Silos, s => Assert.False(s.Host.IsOpen("never-opened")));
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory, "never-opened")));
    }
}
