using System.Diagnostics;
using SqlSync.Documents;
using TodosV1 = TodoApp.TodoMutations;
using TodosV2 = TodoApp.V2.TodoMutations;

namespace TodoApp.Story;

/// <summary>
/// The TodoApp ships version 2 (docs/versioning.md, "The TodoApp's version 2"). Alice and Bob use version 1 and go
/// offline with edits; the server is upgraded to version 2 (its migration adds due dates and priorities); Alice
/// reconnects still on version 1 and her edits replay; Carol joins with version 2; Bob upgrades his app with
/// version 1 edits still pending, and they replay through version 2's <c>[Obsolete]</c> shapes. Every replica must
/// end byte-identical with every edit in it. Real Kestrel and WebSockets on 127.0.0.1; no standard input.
/// </summary>
public static class UpgradeStory
{
    private const string ListId = "family-list";

    private static readonly DateOnly TaxDay = new(2027, 4, 15);
    private static readonly DateOnly Christmas = new(2026, 12, 24);

    /// <summary>Runs the story, telling it on <paramref name="log"/>; the result says whether every replica converged.</summary>
    public static async Task<StoryResult> RunAsync(TextWriter log)
    {
        var stopwatch = Stopwatch.StartNew();
        string root = Path.Combine(Path.GetTempPath(), "sqlsync-todo-v2-" + Guid.NewGuid().ToString("N")[..8]);
        string serverData = Path.Combine(root, "server");
        try
        {
            StoryResult result = await TellAsync(root, serverData, log);
            log.WriteLine(result.Converged
                ? $"converged: 4 replicas (server v2, alice v1, bob v1->v2, carol v2), {result.MutationsWritten} mutations, none lost or rejected, checksum 0x{result.Checksums["server"]:X16}, {stopwatch.ElapsedMilliseconds} ms"
                : "NOT converged: the replicas differ, or a mutation is pending or was rejected");
            return result;
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

    private static async Task<StoryResult> TellAsync(string root, string serverData, TextWriter log)
    {
        StoryServer server = await StoryServer.StartAsync(serverData, TodosV1.Reducer.Instance, port: 0);
        log.WriteLine($"Version 1 of the todo server on {server.SyncUri}");
        await using StoryReplica alice = StoryReplica.Open(root, "alice", ListId, TodosV1.Reducer.Instance, appVersion: 1);
        await using StoryReplica bob = StoryReplica.Open(root, "bob", ListId, TodosV1.Reducer.Instance, appVersion: 1);
        await using StoryReplica carol = StoryReplica.Open(root, "carol", ListId, TodosV2.Reducer.Instance, appVersion: 2);
        StoryReplica[] everyone = [alice, bob, carol];
        try
        {
            Guid milk = Guid.NewGuid(), bread = Guid.NewGuid(), eggs = Guid.NewGuid(), tea = Guid.NewGuid(),
                coffee = Guid.NewGuid(), taxes = Guid.NewGuid(), apples = Guid.NewGuid();

            alice.Connect(server.SyncUri);
            bob.Connect(server.SyncUri);
            alice.Write(new TodosV1.CreateSchemaMutation());
            alice.Write(new TodosV1.AddTodoMutation(milk, "milk"));
            alice.Write(new TodosV1.AddTodoMutation(bread, "bread"));
            alice.Write(new TodosV1.AddTodoMutation(eggs, "eggs"));
            await UntilConvergedAsync([alice, bob], "Alice's list reached Bob");
            log.WriteLine("\n1. Alice and Bob use version 1 of the app; Alice's list reached Bob:");
            Print(log, bob);

            log.WriteLine("\n2. Both go offline and edit; their edits wait in their journals:");
            await alice.DisconnectAsync();
            await bob.DisconnectAsync();
            alice.Write(new TodosV1.ToggleTodoMutation(milk));
            alice.Write(new TodosV1.AddTodoMutation(tea, "tea"));
            bob.Write(new TodosV1.RenameTodoMutation(bread, "sourdough bread"));
            bob.Write(new TodosV1.AddTodoMutation(coffee, "coffee"));
            log.WriteLine($"  alice (v1, offline): {alice.Document.PendingMutationCount} pending (done milk, add tea)");
            log.WriteLine($"  bob   (v1, offline): {bob.Document.PendingMutationCount} pending (rename bread, add coffee)");

            log.WriteLine("\n3. The server is upgraded to version 2 on the same data and port; it migrates the list when it opens it.");
            int port = server.Port;
            await server.DisposeAsync();
            server = await StoryServer.StartAsync(serverData, TodosV2.Reducer.Instance, port);

            log.WriteLine("\n4. Alice reconnects, still on version 1: her edits replay on the migrated list.");
            alice.Connect(server.SyncUri);
            await UntilAsync(() => alice.Document.PendingMutationCount == 0 && alice.Document.SchemaVersion == 2, "Alice's edits are applied on the version 2 list");
            log.WriteLine($"  alice's app knows schema {alice.Document.AppSchemaVersion}, her list is at schema {alice.Document.SchemaVersion} (decision 0021: older apps keep working):");
            Print(log, alice);

            log.WriteLine("\n5. Carol joins with version 2: a todo with a due date and a priority, a priority, a due date.");
            carol.Connect(server.SyncUri);
            await UntilConvergedAsync([alice, carol], "Carol received the list");
            carol.Write(new TodosV2.AddTodoMutation(taxes, "file taxes", TaxDay, 3));
            carol.Write(new TodosV2.SetPriorityMutation(eggs, 2));
            carol.Write(new TodosV2.SetDueMutation(milk, Christmas));
            await UntilConvergedAsync([alice, carol], "Carol's edits reached Alice");
            Print(log, carol);

            log.WriteLine($"\n6. Bob installs version 2 with {bob.Document.PendingMutationCount} version 1 edits pending; they replay through version 2 (AddTodo's old shape is the [Obsolete] AddTodoV1 under its shipped tag).");
            await bob.UpgradeAsync(TodosV2.Reducer.Instance, appVersion: 2);
            log.WriteLine($"  bob (v2, offline): {bob.Document.PendingMutationCount} pending, his list migrated locally to schema {bob.Document.SchemaVersion}");
            bob.Write(new TodosV2.SetPriorityMutation(coffee, 1));
            bob.Connect(server.SyncUri);
            await UntilConvergedAsync(everyone, "Bob's edits are applied");
            Print(log, bob);

            log.WriteLine("\n7. Alice, still on version 1, adds one more todo; version 1's AddTodo still works on the version 2 server.");
            alice.Write(new TodosV1.AddTodoMutation(apples, "apples"));
            await UntilConvergedAsync(everyone, "every replica converged");

            var rows = new Dictionary<string, string>(StringComparer.Ordinal);
            var checksums = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (StoryReplica replica in everyone)
            {
                rows[replica.Name] = replica.Rows();
                checksums[replica.Name] = replica.Document.StorageChecksum;
                await replica.DisconnectAsync();
            }

            await server.DisposeAsync();
            int schemaVersion = ReadServer(serverData, rows, checksums);
            log.WriteLine($"\n8. Every replica, the server's read from its journals after it stopped (schema {schemaVersion}):");
            foreach ((string name, string list) in rows)
            {
                log.WriteLine($"  {name} (checksum 0x{checksums[name]:X16}):");
                log.Write(list);
            }

            log.WriteLine();
            return new StoryResult(rows, checksums, everyone.Sum(r => r.Written), everyone.Sum(r => (int)r.Document.PendingMutationCount),
                everyone.Sum(r => r.Rejected), schemaVersion);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>The coordinator's own replica, read from its journals: adds it to the rows and checksums, returns its schema version.</summary>
    private static int ReadServer(string serverData, Dictionary<string, string> rows, Dictionary<string, ulong> checksums)
    {
        using DocumentInspector server = DocumentInspector.Open(Path.Combine(serverData, ListId));
        rows["server"] = StoryReplica.Render(server.Query(StoryReplica.RowsQuery));
        checksums["server"] = server.StorageChecksum;
        return (int)(long)server.Query("SELECT version FROM __sqlsync_schema WHERE id = 1")[0][0]!;
    }

    private static void Print(TextWriter log, StoryReplica replica)
    {
        log.WriteLine($"  {replica.Name} (v{replica.AppVersion}):");
        log.Write(replica.Rows());
    }

    private static Task UntilConvergedAsync(StoryReplica[] replicas, string what) => UntilAsync(
        () => replicas.All(r => r.Document.PendingMutationCount == 0)
              && replicas.Select(r => r.Document.StorageRange).Distinct().Count() == 1,
        what);

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
}
