using SqlSync.Documents;
using SqlSync.Transport;
using TodoApp;

namespace Cluster;

/// <summary>
/// One person's todo app: a replica of every list (its own journals and SQLite file under the client's folder) and
/// one <see cref="SqlSyncClient"/> connected through the balancer. It edits with the TodoApp's mutations and counts
/// what it did, so the end can check each list's content.
/// </summary>
internal sealed class TodoClient : IAsyncDisposable
{
    private readonly Dictionary<string, LocalDocument> _lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Guid>> _mine = new(StringComparer.Ordinal);
    private readonly SqlSyncClient _sync;
    private int _rejected;
    private int _reconnects;
    private int _reopens;
    private bool _wasConnected;
    private bool _lost;

    private TodoClient(string name, SqlSyncClient sync)
    {
        Name = name;
        _sync = sync;
    }

    public string Name { get; }

    /// <summary>Mutations this client made (each one is applied once by the list's grain, wherever it runs).</summary>
    public int Mutations { get; private set; }

    /// <summary>Mutations the server rejected (none are expected: each client edits only its own todos).</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>Times the connection came back after it was lost (through the balancer, to any silo that accepts).</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Times a list was refused by the cluster (its grain moved: <c>DocumentFailed</c>) and then opened again.</summary>
    public int Reopens => Volatile.Read(ref _reopens);

    public IReadOnlyDictionary<string, LocalDocument> Lists => _lists;

    /// <summary>A client with a replica of each list under <paramref name="folder"/>, connected to <paramref name="server"/>.</summary>
    public static TodoClient Start(string name, string folder, IEnumerable<string> lists, Uri server, Action<string>? report = null)
    {
        var sync = new SqlSyncClient(new SqlSyncClientOptions
        {
            ServerUri = server,
            ClientName = name,

            // An app on a flaky network wants to be back soon: the default ceiling (15 s) is for servers under strain.
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
        });
        var client = new TodoClient(name, sync);
        sync.StatusChanged += (_, status) => client.OnStatus(status, report);
        sync.DocumentSyncStateChanged += (_, state) =>
        {
            if (state.Status == DocumentSyncStatus.Refused)
            {
                Interlocked.Increment(ref client._reopens);
                report?.Invoke($"{name}: {state.DocumentId} refused ({state.Reason})");
            }
        };
        try
        {
            foreach (string list in lists)
            {
                LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
                {
                    DocumentId = list,
                    Reducer = TodoMutations.Reducer.Instance,
                    Directory = Path.Combine(folder, name, list),
                });
                client._lists[list] = document;
                client._mine[list] = new List<Guid>();
                document.MutationRejected += (_, _) => Interlocked.Increment(ref client._rejected);
                sync.Add(document);
            }

            sync.Start();
            return client;
        }
        catch
        {
            client.DisposeDocuments();
            sync.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// One round of edits on every list: a new todo each time, and now and then a toggle, a rename or a delete of one
    /// of its own (offline-first: each applies locally at once, whether the client is connected or not).
    /// </summary>
    public void Edit(int round)
    {
        foreach ((string list, LocalDocument document) in _lists)
        {
            List<Guid> mine = _mine[list];
            if (round == 1)
            {
                document.CreateSchema(); // every client may create it: CREATE TABLE IF NOT EXISTS
                Mutations++;
            }

            Guid id = Guid.NewGuid();
            document.AddTodo(id, $"{Name}'s todo {round}");
            mine.Add(id);
            Mutations++;
            if (round % 3 == 0)
            {
                document.ToggleTodo(mine[^2]);
                Mutations++;
            }

            if (round % 4 == 0)
            {
                document.RenameTodo(mine[0], $"{Name}'s first todo, renamed in round {round}");
                Mutations++;
            }

            if (round % 5 == 0)
            {
                document.DeleteTodo(mine[1]);
                mine.RemoveAt(1);
                Mutations++;
            }
        }
    }

    /// <summary>The todos this client has on <paramref name="list"/> now, by its own count.</summary>
    public int TodosOn(string list) => _mine[list].Count;

    /// <summary>Every local mutation has been applied by the server and the replica has rebased on it.</summary>
    public bool Settled => _lists.Values.All(d => d.PendingMutationCount == 0);

    public int Pending => _lists.Values.Sum(d => d.PendingMutationCount);

    /// <summary>Events come one at a time per client, outside the client's locks.</summary>
    private void OnStatus(SyncConnectionStatus status, Action<string>? report)
    {
        if (status is SyncConnectionStatus.Connected or SyncConnectionStatus.Syncing)
        {
            if (_lost)
            {
                _lost = false;
                Interlocked.Increment(ref _reconnects);
                report?.Invoke($"{Name}: connected again through the balancer");
            }

            _wasConnected = true;
        }
        else if (status == SyncConnectionStatus.Disconnected && _wasConnected && !_lost)
        {
            _lost = true;
            report?.Invoke($"{Name}: lost its connection; editing offline and reconnecting");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sync.DisposeAsync();
        DisposeDocuments();
    }

    private void DisposeDocuments()
    {
        foreach (LocalDocument document in _lists.Values)
        {
            document.Dispose();
        }
    }
}
