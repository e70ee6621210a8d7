using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Vfs;

public sealed class VfsReaderTests
{
    private static CoordinatorDocument NewCoordinator(string id) =>
        CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = id, Reducer = Reducer });

    private static LocalDocument NewClient(string id) =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = Reducer });

    private static long ReadQuantity(SqliteConnection connection, long id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT qty FROM items WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public void AReaderNeverSeesAStalePageAfterARebase()
    {
        using var coordinator = NewCoordinator("stale");
        using var a = NewClient("stale");
        using var b = NewClient("stale");
        a.Mutate(new CreateSchema());
        a.Mutate(new Insert(1, "shared", 0));
        SyncDriver.Full(a, coordinator);
        SyncDriver.Full(b, coordinator);

        using var reader = new SqliteConnection(a.ReadOnlyConnectionString);
        reader.Open();
        var random = new Random(11);
        long expected = 0;
        for (int round = 0; round < 60; round++)
        {
            // The reader caches the page holding row 1 now.
            Assert.Equal(a.QueryScalar<long>("SELECT qty FROM items WHERE id = 1"), ReadQuantity(reader, 1));

            // Varying numbers of local commits on each side make the file change counters of the old and
            // the new page view collide unless the VFS keeps its own.
            int local = random.Next(0, 4);
            for (int i = 0; i < local; i++)
            {
                a.Mutate(new AddQuantity(1, 1));
                expected++;
                Assert.Equal(a.QueryScalar<long>("SELECT qty FROM items WHERE id = 1"), ReadQuantity(reader, 1));
            }

            int remote = random.Next(1, 4);
            for (int i = 0; i < remote; i++)
            {
                b.Mutate(new AddQuantity(1, 10));
                expected += 10;
            }

            SyncDriver.Upload(b, coordinator);
            coordinator.StepAll(batchSize: random.Next(1, 3));
            SyncDriver.Download(a, coordinator);
            Assert.Equal(expected, ReadQuantity(reader, 1));
            Assert.Equal(expected, a.QueryScalar<long>("SELECT qty FROM items WHERE id = 1"));

            SyncDriver.Full(a, coordinator);
            SyncDriver.Full(b, coordinator);
            Assert.Equal(expected, ReadQuantity(reader, 1));
        }
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public void AnAdoNetReadOnlyConnectionSeesCommittedStateAndCannotWrite()
    {
        using var coordinator = NewCoordinator("adonet");
        using var client = NewClient("adonet");
        client.Mutate(new CreateSchema());
        for (int i = 0; i < 100; i++)
        {
            client.Mutate(new Insert(i, $"row {i}", i));
        }

        SyncDriver.Full(client, coordinator);

        using (var onClient = new SqliteConnection(client.ReadOnlyConnectionString))
        {
            onClient.Open();
            using var command = onClient.CreateCommand();
            command.CommandText = "SELECT count(*), sum(qty) FROM items";
            using (var rows = command.ExecuteReader())
            {
                Assert.True(rows.Read());
                Assert.Equal(100L, rows.GetInt64(0));
                Assert.Equal(4950L, rows.GetInt64(1));
            }

            command.CommandText = "INSERT INTO items(id, name, qty) VALUES(1000, 'x', 1)";
            var error = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
            Assert.Equal(8, error.SqliteErrorCode); // SQLITE_READONLY
        }

        using var onCoordinator = new SqliteConnection(coordinator.ReadOnlyConnectionString);
        onCoordinator.Open();
        using var query = onCoordinator.CreateCommand();
        query.CommandText = "SELECT sum(qty) FROM items";
        Assert.Equal(4950L, (long)query.ExecuteScalar()!);
        query.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", (string)query.ExecuteScalar()!);
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public async Task ReadersOnOtherThreadsOnlySeeWholeTransactions()
    {
        const int rows = 50;
        const long perRow = 1000;
        using var coordinator = NewCoordinator("readers");
        using var writer = NewClient("readers");
        using var other = NewClient("readers");
        writer.Mutate(new CreateSchema());
        for (int i = 0; i < rows; i++)
        {
            writer.Mutate(new Insert(i, new string('n', 1500 + i), perRow)); // about two rows a page: a sum reads many pages
        }

        SyncDriver.Full(writer, coordinator);
        SyncDriver.Full(other, coordinator);

        using var stop = new CancellationTokenSource();
        long reads = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Task[] readers = Enumerable.Range(0, 2).Select(n => Task.Run(() =>
        {
            using var connection = new SqliteConnection(writer.ReadOnlyConnectionString);
            connection.Open();
            while (!stop.IsCancellationRequested)
            {
                using var transaction = connection.BeginTransaction(deferred: true);
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT count(*), sum(qty) FROM items";
                long first, second, count;
                using (var result = command.ExecuteReader())
                {
                    result.Read();
                    count = result.GetInt64(0);
                    first = result.GetInt64(1);
                }

                command.CommandText = "SELECT sum(qty) FROM items WHERE id >= 0";
                second = (long)command.ExecuteScalar()!;
                transaction.Commit();
                if (count != rows || first != rows * perRow || second != first)
                {
                    failures.Enqueue($"reader {n} saw count {count}, sums {first} and {second}");
                }

                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref reads) > 0, TimeSpan.FromSeconds(30)), "the readers did not start");
        long readsBefore = Interlocked.Read(ref reads);
        var random = new Random(5);
        for (int i = 0; i < 5000; i++)
        {
            long from = random.Next(0, rows);
            long to = random.Next(0, rows);
            writer.Mutate(new Transfer(from, to, random.Next(1, 50)));
            if (i % 200 == 199)
            {
                other.Mutate(new Transfer(to, from, random.Next(1, 50)));
                SyncDriver.Full(other, coordinator);
                SyncDriver.Full(writer, coordinator); // a rebase under the readers
            }
        }

        stop.Cancel();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref reads) > readsBefore, "the readers never read while the writer ran");
        Assert.Equal(rows * perRow, writer.QueryScalar<long>("SELECT sum(qty) FROM items"));
    }
}
