using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;
using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Runtime.Tests.Vfs;

/// <summary>Issue 12, point 8: the local writer keeps its lock between transactions and hands it over to readers.</summary>
public sealed class WriterLockHandOverTests
{
    private const int Rows = 20;
    private const long PerRow = 1000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static LocalDocument NewClient(string id) =>
        LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = Reducer });

    /// <summary>Row 0 counts the mutations; rows 1..Rows hold PerRow each and only move quantity between them.</summary>
    private static LocalDocument NewLedger(string id)
    {
        LocalDocument document = NewClient(id);
        document.Mutate(new CreateSchema());
        document.Mutate(new Insert(0, "counter", 0));
        for (int i = 1; i <= Rows; i++)
        {
            document.Mutate(new Insert(i, new string('n', 1500), PerRow)); // about two rows a page: reads span pages
        }

        return document;
    }

    private static (long Counter, long Sum, long Count) ReadLedger(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT qty FROM items WHERE id = 0";
        long counter = (long)command.ExecuteScalar()!;
        command.CommandText = "SELECT sum(qty), count(*) FROM items WHERE id > 0";
        using var reader = command.ExecuteReader();
        reader.Read();
        (long, long, long) result = (counter, reader.GetInt64(0), reader.GetInt64(1));
        reader.Close();
        transaction.Commit();
        return result;
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheWriterKeepsItsLockBetweenMutationsUntilAReaderAsks()
    {
        using LocalDocument document = NewLedger("keep-lock");
        document.Mutate(new AddQuantity(0, 1));
        Assert.True(document.Database.KeepsLock);
        Assert.Equal(SQLITE_LOCK_EXCLUSIVE, document.Database.File.EngineWriter!.LockLevel);

        using var connection = new SqliteConnection(document.ReadOnlyConnectionString);
        connection.Open();
        Assert.Equal((1L, Rows * PerRow, (long)Rows), ReadLedger(connection));
        Assert.False(document.Database.KeepsLock);
        Assert.Equal(SQLITE_LOCK_NONE, document.Database.File.EngineWriter!.LockLevel);

        document.Mutate(new AddQuantity(0, 1));
        Assert.True(document.Database.KeepsLock);
        Assert.Equal((2L, Rows * PerRow, (long)Rows), ReadLedger(connection));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task ReadersOnOtherThreadsAndTheWriterAlternateThousandsOfTimes()
    {
        const int rounds = 3000;
        using LocalDocument document = NewLedger("alternate");
        var random = new Random(8);
#pragma warning disable CA2000 // semaphores without a wait handle (never AvailableWaitHandle): nothing to release
        var turns = new[] { new SemaphoreSlim(0), new SemaphoreSlim(0) };
#pragma warning restore CA2000
        using var done = new SemaphoreSlim(0);
        long expected = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // Two readers, each with one connection kept open (its page cache could go stale), take turns reading
        // the state the writer just committed; every read checks the counter exactly and the invariant.
        Task[] readers = Enumerable.Range(0, 2).Select(n => Task.Run(async () =>
        {
            using var connection = new SqliteConnection(document.ReadOnlyConnectionString);
            connection.Open();
            while (true)
            {
                if (!await turns[n].WaitAsync(Deadline))
                {
                    failures.Enqueue($"reader {n} was never given its turn");
                    return;
                }

                long want = Interlocked.Read(ref expected);
                if (want < 0)
                {
                    return;
                }

                (long counter, long sum, long count) = ReadLedger(connection);
                if (counter != want || sum != Rows * PerRow || count != Rows)
                {
                    failures.Enqueue($"reader {n} expected counter {want} and sum {Rows * PerRow}, saw {counter}, {sum}, {count} rows");
                }

                done.Release();
            }
        })).ToArray();

        for (int round = 1; round <= rounds && failures.IsEmpty; round++)
        {
            int mutations = random.Next(1, 4); // one or more commits while the writer keeps its lock
            for (int i = 0; i < mutations; i++)
            {
                document.Mutate(new Transfer(random.Next(1, Rows + 1), random.Next(1, Rows + 1), random.Next(1, 50)));
            }

            document.Mutate(new AddQuantity(0, 1));
            Interlocked.Exchange(ref expected, round);
            turns[round % 2].Release();
            Assert.True(await done.WaitAsync(Deadline), $"round {round}: the reader did not finish");
        }

        Interlocked.Exchange(ref expected, -1);
        turns[0].Release();
        turns[1].Release();
        await Task.WhenAll(readers).WaitAsync(Deadline);
        Assert.Empty(failures);
        Assert.Equal(rounds, document.QueryScalar<long>("SELECT qty FROM items WHERE id = 0"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task AReaderGetsInWhenTheWriterIsIdle()
    {
        using LocalDocument document = NewLedger("idle-writer");
        document.Mutate(new AddQuantity(0, 5));
        Assert.Equal(SQLITE_LOCK_EXCLUSIVE, document.Database.File.EngineWriter!.LockLevel);

        // Nothing runs on the document: the reader's own request must make the writer let go.
        (long Counter, long Sum, long Count) seen = await Task.Run(() =>
        {
            using var connection = new SqliteConnection(document.ReadOnlyConnectionString);
            connection.Open();
            return ReadLedger(connection);
        }).WaitAsync(Deadline);

        Assert.Equal((5L, Rows * PerRow, (long)Rows), seen);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReaderThatFindsTheDocumentBusyGetsInWhenTheMutationEnds()
    {
        using LocalDocument document = NewLedger("busy-writer");
        document.Mutate(new AddQuantity(0, 1));
        var fileLock = document.Database.File.Lock;
        (long, long, long)? seen = null;
        var reader = new Thread(() =>
        {
            using var connection = new SqliteConnection(document.ReadOnlyConnectionString);
            connection.Open();
            seen = ReadLedger(connection);
        });
        lock (document.Database.DocumentLock) // the document is busy: the reader cannot ask the writer to let go
        {
            reader.Start();
            Assert.True(SpinWait.SpinUntil(() => fileLock.ReadersWaiting > 0 || !reader.IsAlive, Deadline), "the reader never waited");
            Assert.True(reader.IsAlive);

            // The mutation that ends while a reader waits hands the lock over, though the document is still locked.
            document.Mutate(new AddQuantity(0, 1));
            Assert.True(reader.Join(Deadline), "the reader did not get in");
            Assert.Equal((2L, Rows * PerRow, (long)Rows), seen);
            Assert.False(document.Database.KeepsLock);
        }

        document.Mutate(new AddQuantity(0, 1));
        Assert.True(document.Database.KeepsLock);
    }
}
