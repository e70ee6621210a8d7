using System.Diagnostics;
using QuickStart;
using SqlSync.Documents;

// A coordinator and two clients in one process. Alice and Bob share a grocery list; Bob goes offline,
// keeps editing, and comes back. Every replica must end byte-identical to the coordinator.
var stopwatch = Stopwatch.StartNew();
const string documentId = "groceries";
var reducer = GroceryMutations.Reducer.Instance;

using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = documentId, Reducer = reducer });
using var alice = LocalDocument.Open(new LocalDocumentOptions { DocumentId = documentId, Reducer = reducer });
using var bob = LocalDocument.Open(new LocalDocumentOptions { DocumentId = documentId, Reducer = reducer });
bob.MutationRejected += (_, rejected) => Console.WriteLine($"  bob learns the coordinator rejected his mutation #{rejected.Lsn}: {rejected.Error}");

alice.CreateSchema();
bob.CreateSchema();

var milk = Guid.NewGuid();
var bread = Guid.NewGuid();
var eggs = Guid.NewGuid();
alice.AddItem(milk, "milk", 1, "alice");
alice.AddItem(bread, "bread", 2, "alice");
DirectSync.Sync(alice, coordinator);
DirectSync.Sync(bob, coordinator);
Console.WriteLine("Both online; Alice's first items reached Bob:");
Print("bob", bob);

Console.WriteLine();
Console.WriteLine("Bob goes offline and edits; Alice keeps editing online:");
bob.AddItem(eggs, "eggs", 12, "bob");
bob.ChangeQuantity(milk, +1);
bob.RenameItem(bread, "sourdough bread");
Print($"bob (offline, {bob.PendingMutationCount} pending)", bob);

alice.ChangeQuantity(milk, +2);
alice.RemoveItem(bread); // Bob's rename of the bread will be rejected by the coordinator
DirectSync.Sync(alice, coordinator);
Print("alice", alice);

Console.WriteLine();
Console.WriteLine("Bob reconnects: his mutations go up, the coordinator applies them after Alice's, he rebases:");
DirectSync.Sync(bob, coordinator);
DirectSync.Sync(alice, coordinator);

Console.WriteLine();
Print("coordinator", coordinator.Query(ItemsQuery));
Print("alice", alice);
Print("bob", bob);

bool converged =
    alice.StorageChecksum == coordinator.StorageChecksum &&
    bob.StorageChecksum == coordinator.StorageChecksum &&
    alice.PendingMutationCount == 0 && bob.PendingMutationCount == 0 &&
    Render(alice.Query(ItemsQuery)) == Render(coordinator.Query(ItemsQuery)) &&
    Render(bob.Query(ItemsQuery)) == Render(coordinator.Query(ItemsQuery));

Console.WriteLine();
Console.WriteLine(converged
    ? $"converged: 3 replicas, checksum 0x{coordinator.StorageChecksum:X16}, storage LSN {coordinator.StorageRange.Last}, {stopwatch.ElapsedMilliseconds} ms"
    : "NOT converged: the replicas differ");
return converged ? 0 : 1;

static void Print(string who, object source)
{
    IReadOnlyList<object?[]> rows = source is LocalDocument document ? document.Query(ItemsQuery) : (IReadOnlyList<object?[]>)source;
    Console.WriteLine($"  {who}:");
    Console.Write(Render(rows));
}

static string Render(IReadOnlyList<object?[]> rows) =>
    rows.Count == 0 ? "    (empty)\n" : string.Concat(rows.Select(row => $"    {row[0],-18} x{row[1],-3} (added by {row[2]})\n"));

partial class Program
{
    private const string ItemsQuery = "SELECT name, quantity, added_by FROM items ORDER BY added_at, name";
}
