using Microsoft.Data.Sqlite;
using SQLitePCL;
using SqlSync.Documents;
using SqlSync.Runtime.Tests.Support;
using SqlSync.Storage.Vfs;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Vfs;

/// <summary>Issue 12, point 5: no connection but the document's own writer can change the file.</summary>
public sealed class OnlyTheEngineWritesTests
{
    private const int SQLITE_READONLY = 8;

    private static CoordinatorDocument NewCoordinator(string id) =>
        CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = id, Reducer = Reducer });

    private static LocalDocument NewClient(string id) =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = Reducer });

    private static string ReadWrite(string readOnlyConnectionString) =>
        readOnlyConnectionString.Replace("Mode=ReadOnly", "Mode=ReadWrite", StringComparison.Ordinal);

    /// <summary>Every kind of write through an ADO.NET connection opened read-write fails with SQLITE_READONLY.</summary>
    private static void AssertAdoNetWritesFail(string connectionString)
    {
        using var connection = new SqliteConnection(ReadWrite(connectionString));
        connection.Open();
        using var command = connection.CreateCommand();
        foreach (string sql in new[]
                 {
                     "INSERT INTO items(id, name, qty) VALUES(1000, 'intruder', 1)",
                     "UPDATE items SET qty = qty + 1",
                     "CREATE TABLE intruder(x)",
                     "PRAGMA user_version = 7",
                 })
        {
            command.CommandText = sql;
            var error = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
            Assert.Equal(SQLITE_READONLY, error.SqliteErrorCode);
        }

        command.CommandText = "SELECT count(*) FROM items";
        Assert.Equal(2L, (long)command.ExecuteScalar()!); // it still reads
    }

    /// <summary>Raw SQLitePCL opens read-write (plain, with a guessed secret, with the real one after the engine used it) are read-only.</summary>
    private static void AssertRawWritesFail(PageFile file)
    {
        foreach (string name in new[]
                 {
                     $"file:{file.Name}",
                     $"file:{file.Name}?{PageVfs.WriterSecretParameter}=00000000000000000000000000000000",
                     PageVfs.WriterUri(file), // the engine writer is open already: the secret lets nobody else in
                 })
        {
            int rc = raw.sqlite3_open_v2(name, out sqlite3 db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_URI, PageVfs.Name);
            using (db)
            {
                Assert.Equal(raw.SQLITE_OK, rc);
                Assert.Equal(1, raw.sqlite3_db_readonly(db, "main"));
                Assert.Equal(SQLITE_READONLY, raw.sqlite3_exec(db, "INSERT INTO items(id, name, qty) VALUES(2000, 'raw', 1)"));
                Assert.Equal(SQLITE_READONLY, raw.sqlite3_exec(db, "BEGIN IMMEDIATE; DELETE FROM items; COMMIT;"));
                raw.sqlite3_exec(db, "ROLLBACK");
            }
        }
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReadWriteConnectionToALocalDocumentCannotWrite()
    {
        using var client = NewClient("rw-local");
        client.Mutate(new CreateSchema());
        client.Mutate(new Insert(1, "a", 1));
        client.Mutate(new Insert(2, "b", 2));
        int pendingPages = client.Database.Storage.PendingPageCount;
        ulong checksum = client.Database.Storage.Checksum;

        AssertAdoNetWritesFail(client.ReadOnlyConnectionString);
        AssertRawWritesFail(client.Database.File);

        Assert.Equal(pendingPages, client.Database.Storage.PendingPageCount);
        Assert.Equal(checksum, client.Database.Storage.Checksum);
        Assert.Equal(2L, client.QueryScalar<long>("SELECT count(*) FROM items"));
        Assert.Equal(0L, client.QueryScalar<long>("SELECT count(*) FROM sqlite_schema WHERE name = 'intruder'"));
        client.Mutate(new Insert(3, "c", 3)); // the document's own writer still writes
        Assert.Equal(3L, client.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReadWriteConnectionToACoordinatorCannotReachItsStorage()
    {
        using var coordinator = NewCoordinator("rw-coordinator");
        using var client = NewClient("rw-coordinator");
        client.Mutate(new CreateSchema());
        client.Mutate(new Insert(1, "a", 1));
        client.Mutate(new Insert(2, "b", 2));
        SyncDriver.Full(client, coordinator);
        var storageRange = coordinator.StorageRange;
        ulong checksum = coordinator.StorageChecksum;

        AssertAdoNetWritesFail(coordinator.ReadOnlyConnectionString);
        AssertRawWritesFail(coordinator.Database.File);

        Assert.False(coordinator.Database.Storage.HasPending);
        Assert.Equal(0, coordinator.Step());
        Assert.Equal(storageRange, coordinator.StorageRange);
        Assert.Equal(checksum, coordinator.StorageChecksum);

        client.Mutate(new Insert(3, "c", 3));
        SyncDriver.Full(client, coordinator);
        Assert.Equal(3L, client.QueryScalar<long>("SELECT count(*) FROM items"));
        using var reader = new SqliteConnection(coordinator.ReadOnlyConnectionString);
        reader.Open();
        using var command = reader.CreateCommand();
        command.CommandText = "SELECT group_concat(name, ',') FROM (SELECT name FROM items ORDER BY id)";
        Assert.Equal("a,b,c", (string)command.ExecuteScalar()!);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AnExceptionInAVfsCallbackSurfacesInTheErrorTheCallerGets()
    {
        using var client = NewClient("callback-error");
        client.Mutate(new CreateSchema());
        var injected = new InvalidOperationException("injected write failure");
        client.Database.File.FailNextWriteForTesting = injected;

        var error = Assert.Throws<SqlSyncException>(() => client.Mutate(new Insert(1, "a", 1)));

        Assert.Same(injected, error.InnerException);
        Assert.Contains("InvalidOperationException: injected write failure", error.Message, StringComparison.Ordinal);
        Assert.Null(PageVfs.TakeCallbackError()); // taken by the error, not left for the next one
    }
}
