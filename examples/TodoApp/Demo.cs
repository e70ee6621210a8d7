using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Transport;

namespace TodoApp;

/// <summary>
/// The scripted demo: an embedded coordinator server on 127.0.0.1 and two clients over real WebSockets.
/// Bob goes offline and edits while Alice edits the same list; he reconnects; every replica must end
/// byte-identical. Exit code 0 on convergence.
/// </summary>
internal static class Demo
{
    private const string ListId = "groceries";

    public static async Task<int> RunAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        string root = Path.Combine(Path.GetTempPath(), "sqlsync-todo-demo-" + Guid.NewGuid().ToString("N")[..8]);
        string serverData = Path.Combine(root, "server");
        try
        {
            var (app, uri) = await TodoServer.StartAsync(serverData, "http://127.0.0.1:0", LogLevel.Warning);
            Console.WriteLine($"Embedded todo server on {uri}, journals under {root}");
            int aliceMutations = 0, bobMutations = 0;
            bool converged;
            ulong aliceChecksum, bobChecksum;
            string aliceList, bobList;
            using (LocalDocument alice = Open(root, "alice"))
            using (LocalDocument bob = Open(root, "bob"))
            {
                bob.MutationRejected += (_, r) => Console.WriteLine($"  bob is told his mutation #{r.Lsn} was rejected: {r.Error}");
                await using SqlSyncClient aliceSync = Connect(uri, alice, "alice");
                SqlSyncClient bobSync = Connect(uri, bob, "bob");

                alice.CreateSchema();
                bob.CreateSchema();
                Guid milk = Guid.NewGuid(), bread = Guid.NewGuid(), eggs = Guid.NewGuid(), coffee = Guid.NewGuid(), apples = Guid.NewGuid();
                alice.AddTodo(milk, "milk");
                alice.AddTodo(bread, "bread");
                alice.AddTodo(eggs, "eggs");
                aliceMutations += 4;
                bobMutations += 1;
                await UntilAsync(() => Settled(alice) && Settled(bob) && alice.StorageRange == bob.StorageRange, "both clients hold Alice's list");
                Console.WriteLine("\nBoth online; Alice's list reached Bob:");
                Print("bob", bob);

                // Bob's list is a live query; Alice's presence says what she is editing (never journaled).
                using (LiveQuery<TodoList.TodoRow> bobsList = TodoList.Live(bob))
                {
                    aliceSync.Presence(alice).Publish("alice (editing milk)");
                    await UntilAsync(() => bobSync.Presence(bob).Peers.Any(p => p.StateText == "alice (editing milk)"), "Bob sees Alice online");
                    Console.WriteLine($"  bob's live list has {bobsList.Current.Count} todos; online with bob: {string.Join(", ", bobSync.Presence(bob).Peers.Select(p => p.StateText))}");
                }

                Console.WriteLine("\nBob goes offline and edits; Alice edits the same list online:");
                await bobSync.DisposeAsync();
                bob.ToggleTodo(milk);
                bob.RenameTodo(bread, "sourdough bread");
                bob.AddTodo(coffee, "coffee");
                bobMutations += 3;
                Print($"bob (offline, {bob.PendingMutationCount} pending)", bob);

                alice.DeleteTodo(bread); // Bob's rename of the bread will be rejected
                alice.AddTodo(apples, "apples");
                alice.MoveTodo(apples, 0.5);
                alice.ToggleTodo(eggs);
                aliceMutations += 4;
                await UntilAsync(() => Settled(alice), "Alice's edits are applied");
                Print("alice", alice);

                Console.WriteLine("\nBob reconnects: his edits go up, the server applies them after Alice's, both rebase:");
                await using (SqlSyncClient again = Connect(uri, bob, "bob"))
                {
                    await UntilAsync(() => Settled(bob) && Settled(alice) && alice.StorageRange == bob.StorageRange, "both clients converge");
                }

                aliceList = TodoList.Render(TodoList.Read(alice));
                bobList = TodoList.Render(TodoList.Read(bob));
                aliceChecksum = alice.StorageChecksum;
                bobChecksum = bob.StorageChecksum;
                converged = alice.PendingMutationCount == 0 && bob.PendingMutationCount == 0;
            }

            await app.StopAsync();
            await app.DisposeAsync();

            // The coordinator's own replica, read from its journals now that the server has stopped.
            using DocumentInspector server = DocumentInspector.Open(Path.Combine(serverData, ListId));
            string serverList = RenderRows(server.Query(TodoList.Query));
            Console.WriteLine();
            Console.WriteLine("  server:");
            Console.Write(serverList);
            Console.WriteLine("  alice:");
            Console.Write(aliceList);
            Console.WriteLine("  bob:");
            Console.Write(bobList);

            converged &= aliceChecksum == server.StorageChecksum && bobChecksum == server.StorageChecksum
                         && aliceList == serverList && bobList == serverList;
            Console.WriteLine();
            Console.WriteLine(converged
                ? $"converged: 3 replicas, {aliceMutations + bobMutations} mutations (alice {aliceMutations}, bob {bobMutations}), checksum 0x{server.StorageChecksum:X16}, {stopwatch.ElapsedMilliseconds} ms"
                : "NOT converged: the replicas differ");
            return converged ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static LocalDocument Open(string root, string name) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = ListId,
        Reducer = TodoMutations.Reducer.Instance,
        Directory = Path.Combine(root, name),
    });

    private static SqlSyncClient Connect(Uri uri, LocalDocument document, string name)
    {
        var client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = uri, ClientName = name });
        client.Add(document);
        client.Start();
        return client;
    }

    private static bool Settled(LocalDocument document) => document.PendingMutationCount == 0;

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    private static void Print(string who, LocalDocument document)
    {
        Console.WriteLine($"  {who}:");
        Console.Write(TodoList.Render(TodoList.Read(document)));
    }

    private static string RenderRows(IReadOnlyList<object?[]> rows) =>
        TodoList.Render(rows.Select(row => (Guid.Parse((string)row[0]!), (string)row[1]!, (long)row[2]! == 1)).ToArray());
}
