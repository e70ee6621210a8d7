using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Runtime.Tests.Convergence;
using SqlSync.Runtime.Tests.Support;
using Xunit;

namespace SqlSync.Runtime.Tests.Versioning;

/// <summary>
/// Schema migrations: the coordinator applies the ones a document lacks once, in order, as one step (a crash
/// at any point leaves it before or after the whole migration); a failing one stops the document whole;
/// clients with pending v1 mutations rebase onto the migrated schema; a newer client migrates locally.
/// </summary>
[Trait("Category", "Versioning")]
public sealed class MigrationTests
{
    private const string DocumentId = "todos";

    [Fact]
    public void MigrationsApplyOnceInOrderWhenTheCoordinatorOpens()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        using (CoordinatorDocument v1 = Open(directory, VersionedTodos.V1))
        {
            Assert.Equal(1, v1.SchemaVersion);
        }

        var v2Reducer = new VersionedTodos(2);
        using (CoordinatorDocument v2 = Open(directory, v2Reducer))
        {
            Assert.Equal(2, v2.SchemaVersion);
            Assert.Equal(1, v2Reducer.MigrationsRun); // only migration 2: 1 was there
            Assert.Equal(new long[] { 1, 2 }, Log(v2));
        }

        var again = new VersionedTodos(2);
        using (CoordinatorDocument reopened = Open(directory, again))
        {
            Assert.Equal(2, reopened.SchemaVersion);
            Assert.Equal(0, again.MigrationsRun);
            Assert.Equal(new long[] { 1, 2 }, Log(reopened));
        }
    }

    [Theory]
    [InlineData("BeforeSqliteCommit")]
    [InlineData("AfterSqliteCommit")]
    [InlineData("BeforeStorageAppend")]
    [InlineData("AfterStorageAppend")]
    public void ACrashAtAnyPointOfAMigrationLeavesItWholeOrNotAtAll(string pointName)
    {
        CoordinatorStepPoint point = Enum.Parse<CoordinatorStepPoint>(pointName);
        using var directory = new ScratchDirectory(preferMemoryBacked: false);
        using (CoordinatorDocument v1 = Open(directory, VersionedTodos.V1))
        {
            using LocalDocument client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = VersionedTodos.V1 });
            client.Mutate(VersionedTodos.AddTodo(1, "milk"));
            SyncDriver.Full(client, v1);
        }

        LsnRange before;
        using (CoordinatorDocument v1 = Open(directory, VersionedTodos.V1))
        {
            before = v1.StorageRange;
        }

        var crash = Assert.Throws<IOException>(() => Open(directory, VersionedTodos.V2, p =>
        {
            if (p == point)
            {
                throw new IOException($"injected crash at {p}");
            }
        }).Dispose());
        Assert.Contains(point.ToString(), crash.Message, StringComparison.Ordinal);

        var afterCrash = new VersionedTodos(2);
        using CoordinatorDocument reopened = Open(directory, afterCrash);
        bool published = point == CoordinatorStepPoint.AfterStorageAppend;
        Assert.Equal(published ? 0 : 1, afterCrash.MigrationsRun); // run again only when it was lost
        Assert.Equal(2, reopened.SchemaVersion);
        Assert.Equal(before.Next.Value + 1, reopened.StorageRange.Next.Value); // one entry for the migration, never two
        Assert.Equal(new long[] { 1, 2 }, Log(reopened));
        Assert.Equal("milk|0", Rows(reopened));
    }

    [Fact]
    public void AFailingMigrationStopsTheDocumentWholeWithAClearError()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        LsnRange before;
        using (CoordinatorDocument v2 = Open(directory, VersionedTodos.V2))
        {
            before = v2.StorageRange;
        }

        var error = Assert.Throws<SqlSyncException>(() => Open(directory, VersionedTodos.V3Failing).Dispose());
        Assert.Equal(SqlSyncErrorCode.MigrationFailed, error.Code);
        Assert.Contains("Schema migration 3 (Migration3) failed: InvalidOperationException: migration 3 is broken", error.Message, StringComparison.Ordinal);
        Assert.Contains("stays at schema version 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(DocumentId, error.Data["DocumentId"]);

        using CoordinatorDocument reopened = Open(directory, VersionedTodos.V2);
        Assert.Equal(before, reopened.StorageRange);
        Assert.Equal(2, reopened.SchemaVersion);
        Assert.Equal(0L, (long)reopened.Query("SELECT count(*) FROM pragma_table_info('todos') WHERE name = 'due'")[0][0]!);
    }

    [Fact]
    public void ADocumentNewerThanTheAppIsRefused()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        Open(directory, VersionedTodos.V2).Dispose();
        var error = Assert.Throws<SqlSyncException>(() => Open(directory, VersionedTodos.V1).Dispose());
        Assert.Equal(SqlSyncErrorCode.DocumentSchemaNewer, error.Code);
        Assert.Contains("schema version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientsWithPendingV1MutationsRebaseOntoTheMigratedSchemaAndConverge()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        using LocalDocument old = LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = VersionedTodos.V1 });
        using (CoordinatorDocument v1 = Open(directory, VersionedTodos.V1))
        {
            SyncDriver.Full(old, v1);
        }

        // Offline: v1 mutations pending while the server is upgraded.
        old.Mutate(VersionedTodos.AddTodo(1, "milk"));
        old.Mutate(VersionedTodos.AddTodo(2, "eggs"));
        Assert.Equal(1, old.SchemaVersion);

        using CoordinatorDocument v2 = Open(directory, VersionedTodos.V2);
        using LocalDocument fresh = LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = VersionedTodos.V2 });
        SyncDriver.Full(fresh, v2);
        fresh.Mutate(VersionedTodos.AddTodoWithPriority(3, "bread", 5));

        SyncDriver.Full(old, v2); // the v1 client's mutations replay on the v2 schema
        SyncDriver.Full(fresh, v2);
        SyncDriver.Download(old, v2);
        Assert.Equal(0, old.PendingMutationCount);
        Assert.Equal(2, old.SchemaVersion); // an older app works on the newer schema
        Assert.Equal("milk|0;eggs|0;bread|5", Rows(v2));
        Assert.Equal(Rows(v2), Rows(old));
        Assert.Equal(Rows(v2), Rows(fresh));
        Assert.Empty(v2.Query("SELECT * FROM __sqlsync_rejections"));
    }

    [Fact]
    public void ANewerClientMigratesLocallyWhileOfflineAndTakesTheCoordinatorsMigrationLater()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        using LocalDocument client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = VersionedTodos.V1 });
        using (CoordinatorDocument v1 = Open(directory, VersionedTodos.V1))
        {
            client.Mutate(VersionedTodos.AddTodo(1, "milk"));
            SyncDriver.Full(client, v1);
        }

        // The app is upgraded before the server: the same journals, a v2 reducer.
        using LocalDocument upgraded = LocalDocument.Open(new LocalDocumentOptions { DocumentId = DocumentId, Reducer = VersionedTodos.V2 });
        using (CoordinatorDocument v1 = Open(directory, VersionedTodos.V1))
        {
            SyncDriver.Download(upgraded, v1);
        }

        Assert.Equal(2, upgraded.SchemaVersion); // migrated locally, in its pending layer
        upgraded.Mutate(VersionedTodos.AddTodoWithPriority(2, "eggs", 3));
        Assert.Equal(3L, upgraded.QueryScalar<long>("SELECT priority FROM todos WHERE id = 2"));

        using CoordinatorDocument v2 = Open(directory, VersionedTodos.V2);
        SyncDriver.Full(upgraded, v2);
        SyncDriver.Download(client, v2);
        Assert.Equal(0, upgraded.PendingMutationCount);
        Assert.Equal("milk|0;eggs|3", Rows(v2));
        Assert.Equal(Rows(v2), Rows(upgraded));
        Assert.Equal(Rows(v2), Rows(client));
        Assert.Equal(new long[] { 1, 2 }, Log(v2));
    }

    private static CoordinatorDocument Open(ScratchDirectory directory, VersionedTodos reducer, Action<CoordinatorStepPoint>? fault = null) =>
        CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = DocumentId,
            Reducer = reducer,
            Directory = directory.Sub("coordinator"),
            FsyncOnAppend = false,
            FaultInjectionAtOpen = fault,
        });

    private static long[] Log(CoordinatorDocument document) =>
        document.Query("SELECT version FROM migration_log ORDER BY version").Select(r => (long)r[0]!).ToArray();

    private static string Rows(CoordinatorDocument document) =>
        string.Join(";", document.Query("SELECT title, priority FROM todos ORDER BY id").Select(r => $"{r[0]}|{r[1]}"));

    private static string Rows(LocalDocument document) =>
        string.Join(";", document.Query("SELECT title, priority FROM todos ORDER BY id").Select(r => $"{r[0]}|{r[1]}"));
}
