using SqlSync.Documents;
using SqlSync.Transport;
using SqlSyncApp.Mutations;

// dotnet run -- [server uri] [todo title]: adds a todo (offline too), syncs it, prints the list.
Uri server = new(args.Length > 0 ? args[0] : "ws://localhost:5080/sync");
string title = args.Length > 1 ? args[1] : "buy milk";

using var document = LocalDocument.Open(new LocalDocumentOptions
{
    DocumentId = "todos",
    Reducer = TodoMutations.Reducer.Instance,
    Directory = "client-data",                  // the local replica and its pending mutations live here
});
document.CreateSchema();                        // applied at once and journaled: works offline
document.AddTodo(Guid.NewGuid(), title);

await using var sync = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server });
sync.Add(document);
sync.Start();                                   // uploads, downloads, rebases, reconnects

// Synced when the server has applied every local mutation and the document has rebased on its pages.
// Its result lists any mutation the server rejected.
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
SyncResult synced = await sync.WaitUntilSyncedAsync(document, timeout.Token);
foreach (RejectedMutation rejected in synced.Rejections)
{
    Console.Error.WriteLine($"rejected: {rejected.Error}");
}

foreach (object?[] row in document.Query("SELECT title, done FROM todos ORDER BY title"))
{
    Console.WriteLine($"{((long)row[1]! == 1 ? "[x]" : "[ ]")} {row[0]}");
}
