using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Live.LiveQueryTests;

namespace SqlSync.Runtime.Tests.Live;

/// <summary>
/// Live queries under attack (issue 17): SQL that writes, subscribers that dispose, block or pile up, queries that
/// blow up after a change, and schema changes under them. The document must stay usable and consistent throughout.
/// </summary>
public sealed class LiveQueryAttackTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData("DELETE FROM t")]
    [InlineData("UPDATE t SET v = 0")]
    [InlineData("INSERT INTO t VALUES (9) RETURNING v")]
    [InlineData("DELETE FROM t RETURNING *")]
    [InlineData("WITH x AS (SELECT 1) DELETE FROM t")]
    [InlineData("SELECT v FROM t; DELETE FROM t")]
    [InlineData("BEGIN")]
    [InlineData("BEGIN IMMEDIATE")]
    [InlineData("COMMIT")]
    [InlineData("SAVEPOINT s")]
    [InlineData("ATTACH ':memory:' AS x")]
    [InlineData("PRAGMA user_version = 5")]
    [InlineData("PRAGMA writable_schema = 1")]
    [InlineData("PRAGMA journal_mode = WAL")]
    [InlineData("PRAGMA cache_size = 1")]
    [InlineData("PRAGMA query_only = 1")]
    [InlineData("CREATE TEMP TABLE x(a)")]
    [InlineData("DROP TABLE t")]
    [InlineData("VACUUM")]
    [InlineData("ANALYZE")]
    [InlineData("REINDEX")]
    [InlineData("SELECT load_extension('x')")]
    public void SqlThatWritesOrChangesTheConnectionIsRefusedAndChangesNothing(string sql)
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2)"));
        using var watcher = doc.Live<long>("SELECT sum(v) FROM t");
        ulong before = doc.StorageChecksum;

        Assert.Throws<SqlSyncException>(() => doc.Live(sql).Dispose());
        Assert.Throws<SqlSyncException>(() => doc.Query<object?[]>(sql));

        Assert.Equal(3L, doc.Query<long>("SELECT sum(v) FROM t")[0]);
        Assert.Equal(0L, doc.Query<long>("PRAGMA user_version")[0]);
        Assert.Equal(before, doc.StorageChecksum);
        Assert.Equal(1, doc.PendingMutationCount);

        // The connection is not left in a transaction or a mode: mutations and live queries go on.
        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (4)"));
        WaitUntil(() => watcher.Current[0] == 7, "the live query follows the next mutation");
        Assert.Equal(7L, doc.Query<long>("SELECT sum(v) FROM t")[0]);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ASubscriberThatDisposesTheQueryInsideItsCallbackStopsItCleanly()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER)"));
        var fromEvent = doc.Live<long>("SELECT count(*) FROM t");
        var fromObserver = doc.Live<long>("SELECT count(*) FROM t");
        var completed = new TaskCompletionSource();
        int eventCalls = 0, observerCalls = 0;
        fromEvent.Changed += (_, _) =>
        {
            Interlocked.Increment(ref eventCalls);
            fromEvent.Dispose();
        };
        IDisposable? subscription = null;
        subscription = fromObserver.Subscribe(new Observer<long>(result =>
        {
            Interlocked.Increment(ref observerCalls);
            if (result[0] > 0)
            {
                fromObserver.Dispose();
                subscription?.Dispose(); // disposing twice, from inside, is harmless
            }
        }, () => completed.TrySetResult()));

        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
        await completed.Task.WaitAsync(Deadline);
        WaitUntil(() => Volatile.Read(ref eventCalls) == 1, "the event's handler ran");
        long runsAtDispose = fromEvent.RunCount; // 1 or 2: an identical query in the same slice shares its run (decision 0033)
        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (2)"));
        using var after = doc.Live<long>("SELECT count(*) FROM t");
        Assert.Equal(2, after.Current[0]);
        Assert.Equal(1, Volatile.Read(ref eventCalls));
        Assert.InRange(Volatile.Read(ref observerCalls), 1, 2); // the current result then the change, or the change as its first
        Assert.Equal(runsAtDispose, fromEvent.RunCount); // disposed in its callback: the second insert ran it no more
        await Task.Run(doc.Dispose).WaitAsync(Deadline);
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ASubscriberThatBlocksDelaysOnlyItsDocumentsDeliveriesNeverItsMutationsOrOtherDocuments()
    {
        using var doc = LocalDocument.Open(Options());
        using var other = LocalDocument.Open(Options("other"));
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER)"));
        other.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER)"));
        using var blocked = doc.Live<long>("SELECT count(*) FROM t");
        using var elsewhere = other.Live<long>("SELECT count(*) FROM t");
        using var gate = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource();
        blocked.Changed += (_, _) =>
        {
            entered.TrySetResult();
            gate.Wait(Deadline);
        };

        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
        await entered.Task.WaitAsync(Deadline);

        // While its subscriber hangs: mutations, reads and new live queries of the document, and another document's
        // deliveries, all go on.
        await Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
            }
        }).WaitAsync(Deadline);
        Assert.Equal(201L, doc.Query<long>("SELECT count(*) FROM t")[0]);
        using (var fresh = doc.Live<long>("SELECT count(*) FROM t"))
        {
            Assert.Equal(201L, fresh.Current[0]);
        }

        other.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
        WaitUntil(() => elsewhere.Current[0] == 1, "another document's live query is delivered");

        gate.Set();
        WaitUntil(() => blocked.Current[0] == 201, "the newest result reaches the subscriber once it returns");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void TenThousandLiveQueriesAndTenThousandSubscribersAllSeeTheChangeAndAllGoAway()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); CREATE TABLE u(v INTEGER)"));
        var queries = new List<LiveQuery<long>>();
        for (int i = 0; i < 10_000; i++)
        {
            queries.Add(doc.Live<long>("SELECT count(*) + ? FROM t", i));
        }

        using var shared = doc.Live<long>("SELECT count(*) FROM t");
        long seen = 0;
        var subscriptions = new List<IDisposable>();
        for (int i = 0; i < 10_000; i++)
        {
            subscriptions.Add(shared.Subscribe(new Observer<long>(result =>
            {
                if (result[0] == 1)
                {
                    Interlocked.Increment(ref seen);
                }
            }, () => { })));
        }

        doc.Mutate(new SqlMutation("INSERT INTO u VALUES (1)")); // another table: none of them runs again
        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
        for (int i = 0; i < queries.Count; i++)
        {
            int index = i;
            WaitUntil(() => queries[index].Current[0] == 1 + index, $"query {index} sees the row");
        }

        WaitUntil(() => Interlocked.Read(ref seen) == 10_000, "every subscriber saw the row");
        Assert.All(queries, q => Assert.Equal(2, q.RunCount));

        foreach (IDisposable subscription in subscriptions)
        {
            subscription.Dispose();
        }

        foreach (LiveQuery<long> query in queries)
        {
            query.Dispose();
        }

        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (2)"));
        Assert.All(queries, q => Assert.Equal(2, q.RunCount)); // disposed: never run again
        WaitUntil(() => shared.Current[0] == 2, "the remaining query follows");
        Assert.Equal(10_000, Interlocked.Read(ref seen)); // unsubscribed: no more calls
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void AQueryThatBlowsUpAfterAChangeFailsOverBudgetAndTheOthersGoOn()
    {
        // A small budget: the default (a billion steps) takes tens of seconds on a loaded machine.
        using var doc = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = "live", Reducer = SqlMutation.Reducer, FsyncOnAppend = false, Limits = new MutationLimits { MaxVmStepsPerQuery = 5_000_000 },
        });
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER); CREATE TABLE u(v INTEGER)"));
        using var cube = doc.Live<long>("SELECT count(*) FROM t a, t b, t c, t d");
        using var plain = doc.Live<long>("SELECT count(*) FROM u");
        var failures = new List<SqlSyncException>();
        cube.Failed += (_, error) => { lock (failures) failures.Add(error); };

        // 2,000 rows: 16e12 rows to count, far over the step budget.
        doc.Mutate(new SqlMutation("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT i FROM n"));
        WaitUntil(() => { lock (failures) return failures.Count == 1; }, "the blown-up query reports its failure");
        Assert.Equal(SqlSyncErrorCode.QueryOverBudget, failures[0].Code);

        doc.Mutate(new SqlMutation("INSERT INTO u VALUES (1)"));
        WaitUntil(() => plain.Current[0] == 1, "the other query is still delivered");
        doc.Mutate(new SqlMutation("DELETE FROM t WHERE v > 2"));
        WaitUntil(() => cube.Current[0] == 16, "the query delivers again once it fits its budget");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void ATableDroppedRenamedOrReshapedUnderLiveQueriesFailsThemClearlyAndTheyRecover()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT, done INTEGER); INSERT INTO todos VALUES (1, 'milk', 0)"));
        using var typed = doc.Live<Todo>("SELECT id, title, done FROM todos");
        using var star = doc.Live<Todo>("SELECT * FROM todos");
        var failures = new List<SqlSyncException>();
        typed.Failed += (_, error) => { lock (failures) failures.Add(error); };
        star.Failed += (_, error) => { lock (failures) failures.Add(error); };

        doc.Mutate(new SqlMutation("DROP TABLE todos"));
        WaitUntil(() => { lock (failures) return failures.Count == 2; }, "both queries report the dropped table");
        Assert.Equal("milk", typed.Current[0].Title); // the last good result stays

        doc.Mutate(new SqlMutation("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT, done INTEGER, extra BLOB); INSERT INTO todos VALUES (2, 'eggs', 1, x'00')"));
        WaitUntil(() => typed.Current[0].Id == 2, "the typed query recovers once the table is back");
        WaitUntil(() => { lock (failures) return failures.Count == 3; }, "SELECT * now has a column Todo has no member for");
        Assert.Equal(SqlSyncErrorCode.RowMappingMismatch, failures[2].Code);

        doc.Mutate(new SqlMutation("ALTER TABLE todos RENAME TO old_todos; CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT, done INTEGER)"));
        WaitUntil(() => typed.Current.Count == 0 && star.Current.Count == 0, "both follow the new, empty table");
        doc.Mutate(new SqlMutation("INSERT INTO todos VALUES (3, 'tea', 0)"));
        WaitUntil(() => typed.Current.Count == 1 && star.Current.Count == 1, "and its rows");
        Assert.Equal(new Todo(3, "tea", false), star.Current[0]);
    }
}
