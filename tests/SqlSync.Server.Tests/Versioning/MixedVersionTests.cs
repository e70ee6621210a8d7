using SqlSync.Documents;
using SqlSync.Mutations;
using SqlSync.Transport;

namespace SqlSync.Server.Tests.Versioning;

/// <summary>
/// Mixed app versions over real Kestrel and WebSockets: a newer client against an older server keeps its unknown
/// mutations queued until the server is upgraded; a client older than the server's minimum is told "upgrade
/// required" and keeps its pending mutations until it is upgraded; upgrades happen in the middle of a session.
/// </summary>
[Trait("Category", "Versioning")]
public sealed class MixedVersionTests : ServerTestBase
{
    private const string DocumentId = "todos";

    [Fact]
    public async Task ANewerClientAgainstAnOlderServerKeepsUnknownMutationsQueuedUntilTheServerIsUpgraded()
    {
        using LocalDocument v1 = Open("v1", TodosV1.Reducer.Instance);
        using LocalDocument v2 = Open("v2", TodosV2.Reducer.Instance);
        TestServer server = await TestServer.StartAsync(ServerDirectory, o => o.UseReducer(TodosV1.Reducer.Instance));
        int port = server.Port;
        SqlSyncClient syncV1 = Connect(server.SyncUri, v1);
        SqlSyncClient syncV2 = Connect(server.SyncUri, v2);
        try
        {
            v1.Mutate(new TodosV1.AddMutation(1, "milk"));
            v2.Mutate(new TodosV2.AddMutation(2, "eggs"));
            v2.Mutate(new TodosV2.AddWithPriorityMutation(3, "bread", 5)); // the v1 server does not know this one
            Assert.Equal(2, v2.SchemaVersion); // migrated locally

            await Eventually.TrueAsync(() => syncV2.IsServerOlderThanClient(v2), "the server refused the unknown mutation");
            await Eventually.TrueAsync(() => syncV2.GetSyncState(v2).Status == DocumentSyncStatus.ServerOlderThanClient, "the document's status says the server is older");
            await Eventually.TrueAsync(() => syncV1.IsUploaded(v1) && v2.PendingMutationCount == 1, "the known prefix went through");
            Assert.Equal(1, v2.PendingMutationCount); // queued, not rejected
            await Eventually.TrueAsync(() => Titles(server.Document(DocumentId)) == "milk;eggs", "the server applied what it knows");
            Assert.Empty(server.Document(DocumentId).Query("SELECT * FROM __sqlsync_rejections"));
            Assert.Contains("server older than client", syncV2.GetDocumentError(v2) ?? "", StringComparison.Ordinal);

            await server.DisposeAsync();
            server = await TestServer.StartAsync(ServerDirectory, o => o.UseReducer(TodosV2.Reducer.Instance), port: port);
            Assert.Equal(2, server.Document(DocumentId).SchemaVersion);

            await Eventually.TrueAsync(() => v2.PendingMutationCount == 0 && syncV2.IsUploaded(v2), "the queued mutation went through after the upgrade");
            Assert.False(syncV2.IsServerOlderThanClient(v2));
            v1.Mutate(new TodosV1.AddMutation(4, "tea")); // the v1 app keeps working on the v2 schema
            CoordinatorDocument coordinator = server.Document(DocumentId);
            await Eventually.TrueAsync(() => Rows(coordinator) == "milk|0;eggs|0;bread|5;tea|0", "every mutation applied once");
            await Eventually.TrueAsync(() => Rows(v1) == Rows(coordinator) && Rows(v2) == Rows(coordinator), "every replica converged");
        }
        finally
        {
            await syncV1.DisposeAsync();
            await syncV2.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task AClientBelowTheMinimumIsToldUpgradeRequiredAndKeepsItsMutationsUntilUpgraded()
    {
        LocalDocument old = Open("old", TodosV1.Reducer.Instance);
        TestServer server = await TestServer.StartAsync(ServerDirectory, o => o.UseReducer(TodosV1.Reducer.Instance));
        int port = server.Port;
        SqlSyncClient sync = Connect(server.SyncUri, old);
        try
        {
            old.Mutate(new TodosV1.AddMutation(1, "milk"));
            await Eventually.TrueAsync(() => old.PendingMutationCount == 0 && sync.IsUploaded(old), "v1 synced with the v1 server");

            // The server is upgraded mid-session and no longer serves v1 apps; the v1 app goes on offline.
            await server.DisposeAsync();
            old.Mutate(new TodosV1.AddMutation(2, "eggs"));
            server = await TestServer.StartAsync(ServerDirectory, o => o.UseReducer(TodosV2Required.Reducer.Instance), port: port);
            await Eventually.TrueAsync(() => sync.IsUpgradeRequired(old), "the v1 app is told to upgrade");
            await Eventually.TrueAsync(() => sync.GetSyncState(old).Status == DocumentSyncStatus.UpgradeRequired, "the document's status says upgrade required");
            Assert.Contains("upgrade required", sync.GetDocumentError(old) ?? "", StringComparison.Ordinal);
            Assert.Equal(1, old.PendingMutationCount); // kept until the upgrade

            // The user upgrades the app: same journals, the v2 mutation set.
            await sync.DisposeAsync();
            old.Dispose();
            using LocalDocument upgraded = Open("old", TodosV2Required.Reducer.Instance);
            Assert.Equal(1, upgraded.PendingMutationCount);
            sync = Connect(server.SyncUri, upgraded);
            upgraded.Mutate(new TodosV2Required.AddWithPriorityMutation(3, "bread", 2));
            CoordinatorDocument coordinator = server.Document(DocumentId);
            await Eventually.TrueAsync(() => upgraded.PendingMutationCount == 0 && Rows(coordinator) == "milk|0;eggs|0;bread|2", "the kept mutation and the new one applied");
            Assert.False(sync.IsUpgradeRequired(upgraded));
            await Eventually.TrueAsync(() => Rows(upgraded) == Rows(coordinator), "the upgraded client converged");
        }
        finally
        {
            await sync.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    private LocalDocument Open(string name, IMutationReducer reducer) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = reducer,
        Directory = Path.Combine(Root, "clients", name, DocumentId),
        FsyncOnAppend = false,
    });

    private static string Titles(CoordinatorDocument document) =>
        string.Join(";", document.Query("SELECT title FROM todos ORDER BY id").Select(r => r[0]));

    private static string Rows(CoordinatorDocument document) =>
        string.Join(";", document.Query("SELECT title, priority FROM todos ORDER BY id").Select(r => $"{r[0]}|{r[1]}"));

    private static string Rows(LocalDocument document) =>
        string.Join(";", document.Query("SELECT title, priority FROM todos ORDER BY id").Select(r => $"{r[0]}|{r[1]}"));
}
