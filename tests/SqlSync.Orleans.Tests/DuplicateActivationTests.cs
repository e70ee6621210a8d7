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

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task OnBlobJournalsTheActivationThatWritesSecondIsFencedAndItsClientsReopenTheDocument()
    {
        // Journals in a blob container, each silo with a local folder of its own (caches only): nothing refuses the
        // second open, so the second activation writes, and the store fences whichever coordinator writes second.
        await using AzuriteBlobs azurite = await AzuriteBlobs.StartAsync();
        string container = "dup-" + Guid.NewGuid().ToString("N")[..12];
        await using SyncCluster cluster = await SyncCluster.StartAsync(3, o => o.UseAzureBlobJournals(azurite.ConnectionString, container), siloDirectories: true);
        using LocalDocument a = cluster.Replica("a", "dup");
        using LocalDocument b = cluster.Replica("b", "dup");
        await using SqlSyncClient syncA = cluster.Connect([a], uri: cluster.UriOf(cluster.Silos[0]));
        await using SqlSyncClient syncB = cluster.Connect([b], uri: cluster.UriOf(cluster.Silos[1]));
        int refused = 0;
        syncA.DocumentSyncStateChanged += (_, state) => { if (state.Status == DocumentSyncStatus.Refused) { Interlocked.Increment(ref refused); } };
        syncB.DocumentSyncStateChanged += (_, state) => { if (state.Status == DocumentSyncStatus.Refused) { Interlocked.Increment(ref refused); } };
        a.Log("a1");
        b.Log("b1");
        await Replicas.ConvergedAsync([a, b], "dup");
        ClusterSilo owner = Assert.Single(cluster.Silos, s => s.Host.IsOpen("dup"));
        ClusterSilo duplicate = cluster.Silos.First(s => s != owner);

        // A second activation on another silo opens the document from the container and extends its history first
        // (a client of its own, synced in process): the owner's next write collides with it and is fenced.
        using (DocumentLease stale = await duplicate.Host.AcquireAsync("dup", CancellationToken.None))
        using (LocalDocument c = cluster.Replica("c", "dup"))
        {
            c.Log("c1");
            DirectSync.Sync(c, duplicate.Host.GetDocument("dup"));
            Assert.Equal(0, c.PendingMutationCount);
        }

        await duplicate.Host.CloseUnusedAsync("dup", CancellationToken.None); // the duplicate deactivates
        a.Log("a2");
        b.Log("b2");

        // The owner is fenced at its next step, closes the document and tells its links (DocumentFailed); the clients
        // open it again, the grain reopens it from the container with the duplicate's entry, and everything is applied once.
        // (A link that only polled the closed copy used to be answered nothing, and its client waited for storage forever.)
        await Replicas.ConvergedAsync([a, b], "dup after the fence", TimeSpan.FromSeconds(60));
        Replicas.ExactlyOnce(a, ["a1", "b1", "c1", "a2", "b2"]);
        Replicas.ExactlyOnce(b, ["a1", "b1", "c1", "a2", "b2"]);
        Assert.True(Volatile.Read(ref refused) > 0, "the fenced owner's clients were told to open the document again");
    }
}
