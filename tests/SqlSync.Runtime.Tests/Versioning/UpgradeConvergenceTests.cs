using SqlSync.Documents;
using SqlSync.Runtime.Tests.Convergence;
using SqlSync.Runtime.Tests.Support;
using Xunit;

namespace SqlSync.Runtime.Tests.Versioning;

/// <summary>
/// The convergence property with upgrades: seeded random schedules of clients that start on v1 or v2, go offline
/// and come back, while the server and the clients are upgraded at random points. Every replica ends equal to the
/// coordinator, and every mutation made is applied exactly once (nothing lost, nothing rejected).
/// </summary>
[Trait("Category", "Versioning")]
public sealed class UpgradeConvergenceTests
{
    private const string DocumentId = "todos";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void ReplicasConvergeThroughServerAndClientUpgradesAtRandomPoints(int seed)
    {
        var random = new Random(seed);
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        var reducers = new VersionedTodos[4];
        var clients = new LocalDocument[4];
        var online = new bool[4];
        for (int i = 0; i < clients.Length; i++)
        {
            reducers[i] = random.Next(2) == 0 ? VersionedTodos.V1 : VersionedTodos.V2;
            clients[i] = OpenClient(directory, i, reducers[i]);
            online[i] = true;
        }

        VersionedTodos serverReducer = VersionedTodos.V1;
        CoordinatorDocument coordinator = OpenCoordinator(directory, serverReducer);
        long nextId = 1;
        var expected = new SortedDictionary<long, string>();
        try
        {
            for (int step = 0; step < 150; step++)
            {
                int c = random.Next(clients.Length);
                int action = random.Next(100);
                if (action < 50)
                {
                    long id = nextId++;
                    if (reducers[c].SchemaVersion >= 2 && random.Next(2) == 0)
                    {
                        int priority = random.Next(1, 9);
                        clients[c].Mutate(VersionedTodos.AddTodoWithPriority(id, "t" + id, priority));
                        expected[id] = $"t{id}|{priority}";
                    }
                    else
                    {
                        clients[c].Mutate(VersionedTodos.AddTodo(id, "t" + id));
                        expected[id] = $"t{id}|0";
                    }
                }
                else if (action < 80)
                {
                    if (online[c])
                    {
                        Sync(clients[c], reducers[c], coordinator, serverReducer);
                    }
                }
                else if (action < 90)
                {
                    online[c] = !online[c];
                }
                else if (action < 95 && serverReducer.SchemaVersion < 2)
                {
                    coordinator.Dispose();
                    serverReducer = VersionedTodos.V2;
                    coordinator = OpenCoordinator(directory, serverReducer);
                    Assert.Equal(2, coordinator.SchemaVersion);
                }
                else if (reducers[c].SchemaVersion < 2)
                {
                    int pending = clients[c].PendingMutationCount;
                    clients[c].Dispose();
                    reducers[c] = VersionedTodos.V2;
                    clients[c] = OpenClient(directory, c, reducers[c]);
                    Assert.Equal(pending, clients[c].PendingMutationCount); // an upgrade keeps pending mutations
                }
            }

            if (serverReducer.SchemaVersion < 2)
            {
                coordinator.Dispose();
                serverReducer = VersionedTodos.V2;
                coordinator = OpenCoordinator(directory, serverReducer);
            }

            for (int round = 0; round < 2; round++)
            {
                foreach ((LocalDocument client, int i) in clients.Select((client, i) => (client, i)))
                {
                    Sync(client, reducers[i], coordinator, serverReducer);
                }
            }

            string want = string.Join(";", expected.Values);
            Assert.Equal(want, Rows(coordinator.Query("SELECT title, priority FROM todos ORDER BY id")));
            Assert.Empty(coordinator.Query("SELECT * FROM __sqlsync_rejections"));
            Assert.Equal(2L, (long)coordinator.Query("SELECT version FROM __sqlsync_schema")[0][0]!);
            foreach (LocalDocument client in clients)
            {
                Assert.Equal(0, client.PendingMutationCount);
                Assert.Equal(2, client.SchemaVersion);
                Assert.Equal(want, Rows(client.Query("SELECT title, priority FROM todos ORDER BY id")));
            }
        }
        finally
        {
            coordinator.Dispose();
            foreach (LocalDocument client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// Syncs like the network does: a client newer than the server keeps its mutations queued (the server refuses
    /// tags it does not know, MixedVersionTests proves it over WebSockets), so it only downloads until the upgrade.
    /// </summary>
    private static void Sync(LocalDocument client, VersionedTodos clientReducer, CoordinatorDocument coordinator, VersionedTodos serverReducer)
    {
        if (clientReducer.SchemaVersion <= serverReducer.SchemaVersion)
        {
            SyncDriver.Upload(client, coordinator);
            coordinator.StepAll();
        }

        SyncDriver.Download(client, coordinator);
    }

    private static LocalDocument OpenClient(ScratchDirectory directory, int index, VersionedTodos reducer) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = reducer,
        Directory = directory.Sub("client" + index),
        FsyncOnAppend = false,
    });

    private static CoordinatorDocument OpenCoordinator(ScratchDirectory directory, VersionedTodos reducer) => CoordinatorDocument.Open(new CoordinatorDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = reducer,
        Directory = directory.Sub("coordinator"),
        FsyncOnAppend = false,
    });

    private static string Rows(IReadOnlyList<object?[]> rows) => string.Join(";", rows.Select(r => $"{r[0]}|{r[1]}"));
}
