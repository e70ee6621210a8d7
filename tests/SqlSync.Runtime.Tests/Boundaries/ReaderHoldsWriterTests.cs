using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using SqlSync.Runtime.Tests.Attack;
using SqlSync.Runtime.Tests.Convergence;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// A reader that holds a read transaction open on <c>ReadOnlyConnectionString</c> must not freeze the
/// document's writer without bound: a local <c>Mutate</c> or a coordinator step waits at most the document's
/// <c>ReaderDrainTimeout</c>, then fails with <see cref="SqlSyncErrorCode.DocumentBusy"/> having changed
/// nothing, and the document works again as soon as the reader ends.
/// </summary>
public sealed class ReaderHoldsWriterTests
{
    private static readonly TimeSpan ShortWait = TimeSpan.FromMilliseconds(300);

    /// <summary>Opens an ADO.NET reader and leaves a read transaction open on it (SHARED lock held).</summary>
    private static (SqliteConnection Connection, SqliteTransaction Transaction) HoldReadTransaction(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        SqliteTransaction transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM items";
        command.ExecuteScalar();
        return (connection, transaction);
    }

    private static List<string> Items(LocalDocument document) =>
        document.Query("SELECT id, qty FROM items ORDER BY id").Select(r => $"{r[0]}:{r[1]}").ToList();

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ALocalMutateBlockedByAReaderFailsWithinItsTimeoutChangesNothingAndWorksOnceTheReaderEnds()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        var options = new LocalDocumentOptions
        {
            DocumentId = "reader-holds",
            Reducer = Reducer,
            Directory = directory.Sub("client"),
            FsyncOnAppend = false,
            ReaderDrainTimeout = ShortWait,
        };
        var before = new List<string>();
        using (LocalDocument document = LocalDocument.Open(options))
        {
            document.Mutate(new CreateSchema());
            document.Mutate(new Insert(1, "one", 10));
            before = Items(document);
            var (connection, transaction) = HoldReadTransaction(document.ReadOnlyConnectionString);
            using (connection)
            using (transaction)
            {
                for (int attempt = 0; attempt < 2; attempt++)
                {
                    SqlSyncException? error = null;
                    Hang.Bounded(() => error = Assert.Throws<SqlSyncException>(() => document.Mutate(new Insert(2, "two", 20))), seconds: 20);
                    Assert.Equal(SqlSyncErrorCode.DocumentBusy, error!.Code);
                    Assert.Contains("'reader-holds'", error.Message, StringComparison.Ordinal);
                    Assert.Contains("read transaction", error.Message, StringComparison.Ordinal);
                    Assert.Equal(2, document.PendingMutationCount);
                    Assert.Equal(before, Items(document));
                }

                // A rebase waits the same bounded time and fails the same way, before it changes anything.
                SqlSyncException? rebase = null;
                Hang.Bounded(() => rebase = Assert.Throws<SqlSyncException>(document.Rebase), seconds: 20);
                Assert.Equal(SqlSyncErrorCode.DocumentBusy, rebase!.Code);
                Assert.Equal(2, document.PendingMutationCount);
            }

            Hang.Bounded(() => document.Mutate(new Insert(2, "two", 20)), seconds: 20);
            Assert.Equal(3, document.PendingMutationCount);
            Assert.Equal(new[] { "1:10", "2:20" }, Items(document));
        }

        // The timeline journal and the database agree after a restart.
        using LocalDocument reopened = LocalDocument.Open(options);
        Assert.Equal(3, reopened.PendingMutationCount);
        Assert.Equal(new[] { "1:10", "2:20" }, Items(reopened));
        reopened.Mutate(new Insert(3, "three", 30));
        Assert.Equal(new[] { "1:10", "2:20", "3:30" }, Items(reopened));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ACoordinatorStepBlockedByAReaderFailsBusyKeepsItsQueueAndAppliesEverythingOnceTheReaderEnds()
    {
        using var directory = new ScratchDirectory(preferMemoryBacked: true);
        var options = new CoordinatorDocumentOptions
        {
            DocumentId = "reader-holds-coordinator",
            Reducer = Reducer,
            Directory = directory.Sub("coordinator"),
            FsyncOnAppend = false,
            ReaderDrainTimeout = ShortWait,
        };
        using LocalDocument client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = options.DocumentId, Reducer = Reducer });
        client.Mutate(new CreateSchema());
        client.Mutate(new Insert(1, "one", 10));
        CoordinatorDocument coordinator = CoordinatorDocument.Open(options);
        try
        {
            SyncDriver.Upload(client, coordinator);
            Assert.Equal(2, coordinator.StepAll());
            client.Mutate(new Insert(2, "two", 20));
            client.Mutate(new AddQuantity(1, 5));
            SyncDriver.Upload(client, coordinator);
            long storageBefore = (long)coordinator.StorageRange.Next.Value;

            var (connection, transaction) = HoldReadTransaction(coordinator.ReadOnlyConnectionString);
            using (connection)
            using (transaction)
            {
                for (int attempt = 0; attempt < 2; attempt++)
                {
                    SqlSyncException? error = null;
                    Hang.Bounded(() => error = Assert.Throws<SqlSyncException>(() => coordinator.Step(256)), seconds: 20);
                    Assert.Equal(SqlSyncErrorCode.DocumentBusy, error!.Code);
                    Assert.Contains("'reader-holds-coordinator'", error.Message, StringComparison.Ordinal);
                    Assert.Contains("read transaction", error.Message, StringComparison.Ordinal);
                    Assert.Equal(2, coordinator.QueuedMutationCount);
                    Assert.Equal((long)storageBefore, (long)coordinator.StorageRange.Next.Value);
                }
            }

            Assert.Equal(2, Hang.Bounded(() => coordinator.StepAll(), seconds: 20));
            Assert.Equal(0, coordinator.QueuedMutationCount);
            SyncDriver.Download(client, coordinator);
            Assert.Equal(0, client.PendingMutationCount);
            Assert.Equal(new[] { "1:15", "2:20" }, Items(client));

            // Nothing half-applied either way: a restarted coordinator has nothing left to run and agrees.
            coordinator.Dispose();
            coordinator = CoordinatorDocument.Open(options);
            Assert.Equal(0, coordinator.StepAll());
            Assert.Equal(client.StorageChecksum, coordinator.StorageChecksum);
        }
        finally
        {
            coordinator.Dispose();
        }
    }
}
