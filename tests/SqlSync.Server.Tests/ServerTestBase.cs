using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>A temp directory per test (deleted after it), local documents in it and clients that sync them.</summary>
public abstract class ServerTestBase : IDisposable
{
    protected ServerTestBase()
    {
        Root = Path.Combine(Path.GetTempPath(), "sqlsync-server-" + Guid.NewGuid().ToString("N"));
    }

    protected string Root { get; }

    protected string ServerDirectory => Path.Combine(Root, "server");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    protected LocalDocument Client(string name, string documentId = "counters") => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = documentId,
        Reducer = CounterMutations.Reducer.Instance,
        Directory = Path.Combine(Root, "clients", name, documentId),
        FsyncOnAppend = false,
    });

    protected static SqlSyncClient Connect(Uri uri, LocalDocument document, string? token = null, ReplicationOptions? replication = null)
    {
        var client = new SqlSyncClient(new SqlSyncClientOptions
        {
            ServerUri = uri,
            ClientName = "test",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            Replication = replication ?? new ReplicationOptions(),
            ConfigureWebSocket = token is null ? null : o => o.SetRequestHeader("Authorization", "Bearer " + token),
        });
        client.Add(document);
        client.Start();
        return client;
    }

    private protected static SqlSyncClient Connect(TestServer server, LocalDocument document, string? token = null) => Connect(server.SyncUri, document, token);

    protected static long Value(LocalDocument document, string name) =>
        document.QueryScalar<long>("SELECT value FROM counters WHERE name = ?1", name);

    protected static long Value(CoordinatorDocument document, string name)
    {
        IReadOnlyList<object?[]> rows = document.Query("SELECT value FROM counters WHERE name = ?1", name);
        return rows.Count == 0 ? 0 : (long)rows[0][0]!;
    }

    /// <summary>Waits until <paramref name="document"/> has nothing pending and holds exactly the coordinator's storage.</summary>
    protected static Task ConvergedAsync(LocalDocument document, CoordinatorDocument coordinator, string who, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(
            () => document.PendingMutationCount == 0 && coordinator.QueuedMutationCount == 0 && document.StorageRange.Next == coordinator.StorageRange.Next && document.StorageChecksum == coordinator.StorageChecksum,
            $"{who} holds the coordinator's storage with nothing pending", timeout ?? TimeSpan.FromSeconds(60));
}
