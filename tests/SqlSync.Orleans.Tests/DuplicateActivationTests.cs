using SqlSync.Documents;
using SqlSync.Server;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// Orleans' directory may briefly hold two activations of one grain during membership changes. Both open the
/// document through their silo's host on the shared store; the store lets one writer in, so the document keeps one
/// history. Forced here by opening the document on a second silo's host, as a second activation does first.
/// </summary>
public sealed class DuplicateActivationTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task ASecondActivationIsRefusedByTheStoreAndTheDocumentKeepsOneHistory()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);
        using LocalDocument a = cluster.Replica("a", "dup");
        using LocalDocument b = cluster.Replica("b", "dup");
        await using SqlSyncClient syncA = cluster.Connect([a], uri: cluster.UriOf(cluster.Silos[0]));
        await using SqlSyncClient syncB = cluster.Connect([b], uri: cluster.UriOf(cluster.Silos[1]));
        a.Log("a1");
        b.Log("b1");
        await Replicas.ConvergedAsync([a, b], "dup");
        ClusterSilo owner = Assert.Single(cluster.Silos, s => s.Host.IsOpen("dup"));
        ClusterSilo duplicate = cluster.Silos.First(s => s != owner);

        // The duplicate's open is refused by the store while the owner's activation writes.
        var refused = await Assert.ThrowsAsync<SqlSyncException>(async () => await duplicate.Host.AcquireAsync("dup", CancellationToken.None));
        Assert.Contains("lock file", refused.Message);
        Assert.False(duplicate.Host.IsOpen("dup"));
        a.Log("a2");
        b.Log("b2");
        await Replicas.ConvergedAsync([a, b], "dup after the refused duplicate");
        Replicas.ExactlyOnce(a, ["a1", "b1", "a2", "b2"]);
        Assert.Equal(a.StorageChecksum, owner.Host.GetDocument("dup").StorageChecksum);
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AStaleHolderDelaysTheGrainUntilItLetsGoAndNothingIsLostOrDoubled()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);

        // A stale holder (an activation the directory is about to drop) has the document open on silo 2. Wherever the
        // grain lands it is held off: refused by the store on another silo, or waiting on the holder's gate on silo 2.
        ClusterSilo holder = cluster.Silos[2];
        DocumentLease stale = await holder.Host.AcquireAsync("held", CancellationToken.None);
        using LocalDocument a = cluster.Replica("a", "held");
        using LocalDocument b = cluster.Replica("b", "held");
        await using SqlSyncClient syncA = cluster.Connect([a], uri: cluster.UriOf(cluster.Silos[0]));
        await using SqlSyncClient syncB = cluster.Connect([b], uri: cluster.UriOf(cluster.Silos[1]));
        a.Log("a1");
        b.Log("b1");
        await Eventually.TrueAsync(() => syncA.GetSyncState(a).Status == DocumentSyncStatus.Refused || holder.Host.WaitingOn("held") > 0,
            "the grain was held off by the stale holder");
        Assert.Equal(1, a.PendingMutationCount);

        // The holder lets go (its activation deactivates): the grain opens the document and both replicas converge.
        stale.Dispose();
        await holder.Host.CloseUnusedAsync("held", CancellationToken.None);
        await Replicas.ConvergedAsync([a, b], "held");
        Replicas.ExactlyOnce(a, ["a1", "b1"]);
        Assert.Single(cluster.Silos, s => s.Host.IsOpen("held"));
    }
}
