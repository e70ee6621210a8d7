using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>Every silo serves every document: clients on different silos converge through the documents' grains.</summary>
public sealed class ClusterSyncTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task ClientsOnThreeSilosConvergeOnSeveralDocumentsThroughTheirGrains()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);
        string[] ids = Enumerable.Range(0, 6).Select(i => $"doc{i}").ToArray();
        var replicas = new Dictionary<string, List<LocalDocument>>();
        var clients = new List<SqlSyncClient>();
        try
        {
            for (int c = 0; c < 3; c++)
            {
                var documents = ids.Select(id => cluster.Replica($"client{c}", id)).ToList();
                foreach (LocalDocument document in documents)
                {
                    (replicas.TryGetValue(document.DocumentId, out List<LocalDocument>? list) ? list : replicas[document.DocumentId] = new()).Add(document);
                }

                clients.Add(cluster.Connect(documents, uri: cluster.UriOf(cluster.Silos[c]))); // each client on its own silo
            }

            var written = ids.ToDictionary(id => id, _ => new List<string>());
            for (int round = 0; round < 5; round++)
            {
                foreach ((string id, List<LocalDocument> list) in replicas)
                {
                    for (int c = 0; c < list.Count; c++)
                    {
                        string name = $"c{c}-r{round}";
                        list[c].Log(name);
                        written[id].Add(name);
                    }
                }
            }

            foreach ((string id, List<LocalDocument> list) in replicas)
            {
                await Replicas.ConvergedAsync(list, id);
                Replicas.ExactlyOnce(list[0], written[id]);
                ClusterSilo host = Assert.Single(cluster.Silos, s => s.Host.IsOpen(id)); // one writer in the cluster
                Assert.Equal(list[0].StorageChecksum, host.Host.GetDocument(id).StorageChecksum);
            }
        }
        finally
        {
            foreach (SqlSyncClient client in clients)
            {
                await client.DisposeAsync();
            }

            foreach (LocalDocument document in replicas.Values.SelectMany(l => l))
            {
                document.Dispose();
            }
        }
    }
}
