using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>A silo dies or leaves under load: its documents move, their clients reopen them elsewhere, nothing is lost or doubled.</summary>
public sealed class FailoverTests
{
    private const int Documents = 30;
    private const int Clients = 6;

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task ThirtyDocumentsUnderLoadSurviveAKilledSiloExactlyOnce()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);
        await using Fleet fleet = Fleet.Start(cluster);
        await fleet.WriteRoundsAsync(0, 3);
        await fleet.ConvergedAsync("before the kill");

        // The silo (not the first: it holds the membership table) hosting the most documents dies mid-write.
        ClusterSilo victim = cluster.Silos.Skip(1).OrderByDescending(s => fleet.Ids.Count(s.Host.IsOpen)).First();
        string[] moved = fleet.Ids.Where(victim.Host.IsOpen).ToArray();
        Assert.NotEmpty(moved);
        int connectionsBefore = cluster.Silos.Where(s => s != victim).Sum(s => cluster.Proxy.ConnectionsTo(s.Port));
        Task writing = fleet.WriteRoundsAsync(3, 8);
        await victim.KillAsync();
        await writing;

        await fleet.ConvergedAsync("after the kill");
        fleet.AssertExactlyOnce();
        foreach (string id in moved)
        {
            Assert.Single(cluster.Silos, s => s.IsUp && s.Host.IsOpen(id)); // moved to one survivor
        }

        Assert.True(cluster.Silos.Where(s => s != victim).Sum(s => cluster.Proxy.ConnectionsTo(s.Port)) > connectionsBefore,
            "the killed silo's clients reconnected to the survivors");
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AGracefulShutdownMidUploadMovesItsDocumentsExactlyOnce()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);
        await using Fleet fleet = Fleet.Start(cluster);
        await fleet.WriteRoundsAsync(0, 2);
        await fleet.ConvergedAsync("before the shutdown");

        ClusterSilo leaving = cluster.Silos.Skip(1).OrderByDescending(s => fleet.Ids.Count(s.Host.IsOpen)).First();
        string[] moved = fleet.Ids.Where(leaving.Host.IsOpen).ToArray();
        Assert.NotEmpty(moved);
        Task writing = fleet.WriteRoundsAsync(2, 6);
        await leaving.StopAsync();
        await writing;

        await fleet.ConvergedAsync("after the shutdown");
        fleet.AssertExactlyOnce();
        foreach (string id in moved)
        {
            Assert.Single(cluster.Silos, s => s.IsUp && s.Host.IsOpen(id));
        }
    }

    /// <summary>Clients through the round-robin proxy, each with a third of the documents, so each document has two replicas.</summary>
    private sealed class Fleet : IAsyncDisposable
    {
        private readonly List<(SqlSyncClient Client, List<LocalDocument> Documents)> _clients = new();
        private readonly Dictionary<string, List<LocalDocument>> _replicas = new();
        private readonly Dictionary<string, List<string>> _written = new();
        private IReadOnlyList<ClusterSilo> _silos = []; // the cluster's (it owns them)

        public string[] Ids { get; } = Enumerable.Range(0, Documents).Select(i => $"doc{i:00}").ToArray();

        public static Fleet Start(SyncCluster cluster)
        {
            var fleet = new Fleet { _silos = cluster.Silos };
            foreach (string id in fleet.Ids)
            {
                fleet._replicas[id] = new List<LocalDocument>();
                fleet._written[id] = new List<string>();
            }

            for (int c = 0; c < Clients; c++)
            {
                var documents = fleet.Ids.Where((_, i) => i % 3 == c % 3).Select(id => cluster.Replica($"client{c}", id)).ToList();
                foreach (LocalDocument document in documents)
                {
                    fleet._replicas[document.DocumentId].Add(document);
                }

                fleet._clients.Add((cluster.Connect(documents), documents));
            }

            return fleet;
        }

        /// <summary>Each replica logs one uniquely named row per round, with a short pause between rounds (load over time).</summary>
        public async Task WriteRoundsAsync(int from, int to)
        {
            for (int round = from; round < to; round++)
            {
                foreach ((string id, List<LocalDocument> replicas) in _replicas)
                {
                    for (int r = 0; r < replicas.Count; r++)
                    {
                        string name = $"{id}-replica{r}-round{round}";
                        replicas[r].Log(name);
                        lock (_written)
                        {
                            _written[id].Add(name);
                        }
                    }
                }

                await Task.Delay(50); // a pause between rounds, so the failover happens while rounds are still written
            }
        }

        public async Task ConvergedAsync(string when)
        {
            foreach ((string id, List<LocalDocument> replicas) in _replicas)
            {
                try
                {
                    await Replicas.ConvergedAsync(replicas, $"{id} {when}", TimeSpan.FromSeconds(120));
                }
                catch (TimeoutException ex)
                {
                    string states = string.Join("; ", _clients.Where(c => c.Documents.Any(replicas.Contains)).Select(c => $"{c.Client.LastError?.Message ?? "no error"}: "
                        + string.Join(", ", replicas.Where(c.Documents.Contains).Select(r => c.Client.GetSyncState(r).ToString()))));
                    // Where the document is open (a holder that never lets go keeps every other silo's open refused).
                    string hosts = string.Join(", ", _silos.Select(s => $"{s.Name} {(s.IsUp ? "up" : "stopped")} {(s.Host.IsOpen(id) ? "has it open" : "-")}"));
                    throw new TimeoutException(ex.Message + " Clients: " + states + " Silos: " + hosts, ex);
                }
            }
        }

        public void AssertExactlyOnce()
        {
            foreach ((string id, List<LocalDocument> replicas) in _replicas)
            {
                Replicas.ExactlyOnce(replicas[0], _written[id]);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach ((SqlSyncClient client, _) in _clients)
            {
                await client.DisposeAsync();
            }

            foreach (LocalDocument document in _replicas.Values.SelectMany(l => l))
            {
                document.Dispose();
            }
        }
    }
}
