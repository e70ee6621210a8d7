using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Benchmarks;

/// <summary>
/// One client of the network benchmarks: its own in-memory <see cref="LocalDocument"/> (so the figures are
/// the network and the server, not the client's disk) synced by its own <see cref="SqlSyncClient"/>.
/// </summary>
internal sealed class BenchPeer : IAsyncDisposable
{
    public const string DocumentId = "bench";

    private BenchPeer(LocalDocument document, SqlSyncClient client)
    {
        Document = document;
        Client = client;
    }

    public LocalDocument Document { get; }

    public SqlSyncClient Client { get; }

    /// <summary>
    /// Opens a document (in memory, or in <paramref name="directory"/>: a peer of a server that compacts must be able to
    /// join from its checkpoint), creates the table locally (idempotent) and starts syncing it.
    /// </summary>
    public static BenchPeer Connect(Uri server, string name, string? directory = null)
    {
        var document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = BenchMutations.Reducer, Directory = directory });
        document.Mutate(new BenchMutations.CreateTable());
        var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server, ClientName = name });
        client.Add(document);
        client.Start();
        return new BenchPeer(document, client);
    }

    /// <summary>Waits until every peer has no pending mutation and all hold the same storage.</summary>
    public static async Task<bool> ConvergeAsync(IReadOnlyList<BenchPeer> peers, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Converged(peers))
            {
                return true;
            }

            await Task.Delay(2);
        }

        return Converged(peers);
    }

    public static async Task DisposeAllAsync(IEnumerable<BenchPeer> peers)
    {
        foreach (BenchPeer peer in peers)
        {
            await peer.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        Document.Dispose();
    }

    private static bool Converged(IReadOnlyList<BenchPeer> peers)
    {
        var range = peers[0].Document.StorageRange;
        return peers.All(p => p.Client.IsUploaded(p.Document) && p.Document.PendingMutationCount == 0 && p.Document.StorageRange == range);
    }
}
