using System.Net;
using SqlSync.Documents;
using SqlSync.Server;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// Silos sharing one data directory (the store every silo reaches: a directory, for tests about Orleans alone),
/// a round-robin proxy in front of them, and helpers for clients. Deletes its directory when disposed.
/// </summary>
internal sealed class SyncCluster : IAsyncDisposable
{
    private readonly List<ClusterSilo> _silos = new();

    private SyncCluster(string root)
    {
        Root = root;
        Proxy = new RoundRobinProxy(() => _silos.Where(s => s.IsUp).Select(s => s.Port).ToList());
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "server");

    public IReadOnlyList<ClusterSilo> Silos => _silos;

    public RoundRobinProxy Proxy { get; }

    /// <summary>
    /// Starts <paramref name="silos"/> silos on <see cref="DataDirectory"/>, or with <paramref name="siloDirectories"/>
    /// each on a folder of its own below it (journals on object storage: the local folders are caches).
    /// </summary>
    public static async Task<SyncCluster> StartAsync(int silos, Action<SqlSyncServerOptions>? configure = null, bool siloDirectories = false)
    {
        var cluster = new SyncCluster(Path.Combine(Path.GetTempPath(), "sqlsync-cluster-" + Guid.NewGuid().ToString("N")));
        try
        {
            IPEndPoint? primary = null;
            for (int i = 0; i < silos; i++)
            {
                int siloPort = FreePort.Next();
                primary ??= new IPEndPoint(IPAddress.Loopback, siloPort);
                string data = siloDirectories ? Path.Combine(cluster.DataDirectory, $"silo{i}") : cluster.DataDirectory;
                cluster._silos.Add(await ClusterSilo.StartAsync($"silo{i}", siloPort, FreePort.Next(), primary, data, configure));
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>The silo whose host has <paramref name="documentId"/> open now (its grain's), or null.</summary>
    public ClusterSilo? HostOf(string documentId) => _silos.FirstOrDefault(s => s.IsUp && s.Host.IsOpen(documentId));

    public LocalDocument Replica(string client, string documentId) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = documentId,
        Reducer = LogMutations.Reducer.Instance,
        Directory = Path.Combine(Root, "clients", client, documentId),
        FsyncOnAppend = false,
    });

    /// <summary>A client through the proxy (or <paramref name="uri"/>), reconnecting quickly, with its documents added.</summary>
    public SqlSyncClient Connect(IEnumerable<LocalDocument> documents, string? token = null, Uri? uri = null)
    {
        var client = new SqlSyncClient(new SqlSyncClientOptions
        {
            ServerUri = uri ?? Proxy.Uri,
            ClientName = "cluster-test",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            ConfigureWebSocket = token is null ? null : o => o.SetRequestHeader("Authorization", "Bearer " + token),
        });
        foreach (LocalDocument document in documents)
        {
            client.Add(document);
        }

        client.Start();
        return client;
    }

    public Uri UriOf(ClusterSilo silo) => new($"ws://127.0.0.1:{silo.Port}/sync");

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        for (int i = _silos.Count - 1; i >= 0; i--)
        {
            await _silos[i].DisposeAsync(); // the primary (membership) last
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
