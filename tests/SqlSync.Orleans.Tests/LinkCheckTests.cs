using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// A document grain drops the links no connection uses through it any more and, left with none, deactivates, so its
/// host lets the document go (decision 0038): a link whose connection's silo died, or one a duplicate activation holds.
/// </summary>
public sealed class LinkCheckTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AGrainWhoseConnectionsSiloDiedLetsItsDocumentGoAndOneStillUsedKeepsSyncing()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);
        ClusterSilo dying = cluster.Silos[2]; // not the first: it holds the membership table
        string[] ids = Enumerable.Range(0, 8).Select(i => $"orphan{i}").ToArray();
        string[] shared = ids[..2]; // also used by a client on a silo that lives
        var placed = ids.Select(id => cluster.Replica("placer", id)).ToList();
        var replicasA = ids.Select(id => cluster.Replica("a", id)).ToList();
        var replicasB = shared.Select(id => cluster.Replica("b", id)).ToList();
        try
        {
            // The grains are activated first from silo 0 (placement prefers the caller's silo), so that client a, on the
            // silo that dies, holds links on grains of the survivors; the placer then leaves (its links detach).
            await using (SqlSyncClient placer = cluster.Connect(placed, uri: cluster.UriOf(cluster.Silos[0])))
            {
                placed.ForEach(r => r.Log("placed"));
                foreach (LocalDocument replica in placed)
                {
                    await Replicas.ConvergedAsync([replica], replica.DocumentId);
                }

                await using SqlSyncClient b = cluster.Connect(replicasB, uri: cluster.UriOf(cluster.Silos[0]));
                await using SqlSyncClient a = cluster.Connect(replicasA, uri: cluster.UriOf(dying));
                replicasA.ForEach(r => r.Log("a1"));
                replicasB.ForEach(r => r.Log("b1"));
                foreach (string id in ids)
                {
                    await Replicas.ConvergedAsync(replicasA.Concat(replicasB).Where(r => r.DocumentId == id).ToList(), id);
                }

                await placer.DisposeAsync();

                // The documents whose grains live on a surviving silo: only client a's links (through the dying silo) hold
                // the orphans there, and client b's link holds the shared ones too.
                string[] orphans = ids.Except(shared).Where(id => cluster.HostOf(id) is { } host && host != dying).ToArray();
                Assert.NotEmpty(orphans);
                await dying.KillAsync();

                // Within a few checks (2 s each here) the dead links go, those grains deactivate and their hosts close them.
                await Eventually.TrueAsync(() => orphans.All(id => cluster.HostOf(id) is null),
                    "every grain whose only connection died let its document go", TimeSpan.FromSeconds(60));

                // A link still used keeps working: its document syncs (where Orleans deactivated a grain that the dead
                // silo's directory partition registered, it is opened again elsewhere).
                replicasB.ForEach(r => r.Log("b2"));
                foreach (LocalDocument replica in replicasB)
                {
                    await Eventually.TrueAsync(() => replica.PendingMutationCount == 0, $"{replica.DocumentId} b2 applied", TimeSpan.FromSeconds(60));
                }
            }
        }
        finally
        {
            placed.Concat(replicasA).Concat(replicasB).ToList().ForEach(r => r.Dispose());
        }
    }
}
