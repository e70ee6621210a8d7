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
        var replicasA = ids.Select(id => cluster.Replica("a", id)).ToList();
        var replicasB = shared.Select(id => cluster.Replica("b", id)).ToList();
        try
        {
            await using SqlSyncClient b = cluster.Connect(replicasB, uri: cluster.UriOf(cluster.Silos[0]));
            await using (SqlSyncClient a = cluster.Connect(replicasA, uri: cluster.UriOf(dying)))
            {
                replicasA.ForEach(r => r.Log("a1"));
                replicasB.ForEach(r => r.Log("b1"));
                foreach (string id in ids)
                {
                    await Replicas.ConvergedAsync(replicasA.Concat(replicasB).Where(r => r.DocumentId == id).ToList(), id);
                }

                // Documents whose grains live on a surviving silo: only client a's links (through the dying silo) hold the
                // orphans there, and client b's link holds the shared ones too.
                Dictionary<string, ClusterSilo> survivors = ids.Select(id => (id, host: cluster.HostOf(id)))
                    .Where(p => p.host is not null && p.host != dying).ToDictionary(p => p.id, p => p.host!);
                string[] orphans = survivors.Keys.Except(shared).ToArray();
                Assert.NotEmpty(orphans); // 6 documents on 3 silos: not all beside their connection
                await dying.KillAsync();

                // Within a few checks (2 s each here) the dead links go, those grains deactivate and their hosts close them.
                await Eventually.TrueAsync(() => orphans.All(id => cluster.HostOf(id) is null),
                    "every grain whose only connection died let its document go", TimeSpan.FromSeconds(60));
            }

            // A link still used keeps working: its document syncs (where its grain moved when Orleans deactivated the ones
            // the dead silo's directory partition registered, it is opened again there).
            replicasB.ForEach(r => r.Log("b2"));
            foreach (LocalDocument replica in replicasB)
            {
                await Eventually.TrueAsync(() => replica.PendingMutationCount == 0, $"{replica.DocumentId} b2 applied", TimeSpan.FromSeconds(60));
            }
        }
        finally
        {
            replicasA.Concat(replicasB).ToList().ForEach(r => r.Dispose());
        }
    }
}
