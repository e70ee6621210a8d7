using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// The single server's metrics on a cluster: a connection is counted by the silo it connected to (its relay), a
/// document and its mutations by the silo whose host serves the document's grain, once, wherever the clients are.
/// </summary>
public sealed class ClusterMetricsTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task ConnectionsAreCountedWhereTheyArriveAndMutationsWhereTheirGrainLives()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3);
        using var metrics = new SiloMetrics(cluster.Silos);
        using LocalDocument a = cluster.Replica("a", "metered");
        using LocalDocument b = cluster.Replica("b", "metered");
        await using SqlSyncClient syncA = cluster.Connect([a], uri: cluster.UriOf(cluster.Silos[1]));
        await using SqlSyncClient syncB = cluster.Connect([b], uri: cluster.UriOf(cluster.Silos[2]));
        for (int i = 0; i < 20; i++)
        {
            a.Log($"a{i}");
            b.Log($"b{i}");
        }

        await Replicas.ConvergedAsync([a, b], "metered");
        ClusterSilo host = Assert.Single(cluster.Silos, s => s.Host.IsOpen("metered"));

        // Applied once, by the grain's host; the other silos applied nothing.
        Assert.Equal(40, metrics.Sum(host, "sqlsync.mutations.applied"));
        Assert.All(cluster.Silos.Where(s => s != host), s => Assert.Equal(0, metrics.Sum(s, "sqlsync.mutations.applied")));
        Assert.Equal(1, metrics.Sum(host, "sqlsync.documents.open"));
        Assert.Equal(1, metrics.Sum(host, "sqlsync.documents.opened"));

        // Each client's connection, and the frames it sent and was sent, on the silo it connected to.
        foreach (ClusterSilo relay in cluster.Silos.Skip(1))
        {
            Assert.Equal(1, metrics.Sum(relay, "sqlsync.connections"));
            Assert.True(metrics.Sum(relay, "sqlsync.bytes.received") > 0, $"{relay.Name} counted the bytes its client sent");
            Assert.True(metrics.Sum(relay, "sqlsync.bytes.sent") > 0, $"{relay.Name} counted the bytes it sent its client");
        }

        Assert.Equal(0, metrics.Sum(cluster.Silos[0], "sqlsync.connections"));
    }

    /// <summary>The long counters of each silo's own meters (each silo has its meter factory: its instruments' scope).</summary>
    private sealed class SiloMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(object Scope, string Name), long> _sums = new();

        public SiloMetrics(IEnumerable<ClusterSilo> silos)
        {
            var factories = silos.Select(s => (object)s.Services.GetRequiredService<IMeterFactory>()).ToHashSet();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope is { } scope && factories.Contains(scope))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
                _sums.AddOrUpdate((instrument.Meter.Scope!, instrument.Name), value, (_, sum) => sum + value));
            _listener.Start();
        }

        public long Sum(ClusterSilo silo, string instrument) =>
            _sums.GetValueOrDefault((silo.Services.GetRequiredService<IMeterFactory>(), instrument));

        public void Dispose() => _listener.Dispose();
    }
}
