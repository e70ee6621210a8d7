using SqlSync.Documents;
using Xunit;

namespace SqlSync.Runtime.Tests.Live;

/// <summary>Live queries: what re-runs them, what they deliver, and on which thread.</summary>
public sealed class LiveQueryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public sealed record Todo(long Id, string Title, bool Done);

    internal static LocalDocumentOptions Options(string id = "live") => new() { DocumentId = id, Reducer = SqlMutation.Reducer, FsyncOnAppend = false };

    internal static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    [Fact]
    [Trait("Category", "Live")]
    public void AMutationOfOneTableRunsOnlyTheLiveQueriesThatReadIt()
    {
        using var doc = LocalDocument.Open(Options());
        string schema = string.Concat(Enumerable.Range(0, 100).Select(t => $"CREATE TABLE t{t}(id INTEGER PRIMARY KEY, v INTEGER);"));
        doc.Mutate(new SqlMutation(schema));
        var queries = new List<(int Table, LiveQuery<long> Query)>();
        for (int i = 0; i < 1000; i++)
        {
            int table = i % 100;
            queries.Add((table, doc.Live<long>($"SELECT count(*) + {i / 100} FROM t{table}")));
        }

        doc.Mutate(new SqlMutation("INSERT INTO t7(v) VALUES (1)"));
        foreach (var (table, query) in queries.Where(q => q.Table == 7))
        {
            WaitUntil(() => query.Current[0] == 1 + int.Parse(query.Sql.Split('+')[1].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), "t7's queries see the row");
        }

        Assert.All(queries, q => Assert.Equal(q.Table == 7 ? 2 : 1, q.Query.RunCount));
        Assert.Equal(new[] { "t7" }, queries.First(q => q.Table == 7).Query.Tables);
        foreach (var (_, query) in queries)
        {
            query.Dispose();
        }
    }

    [Fact]
    [Trait("Category", "Live")]
    public void AMutationLooksOnlyAtTheLiveQueriesOfTheTablesItWrote()
    {
        using var doc = LocalDocument.Open(Options());
        string schema = string.Concat(Enumerable.Range(0, 100).Select(t => $"CREATE TABLE t{t}(id INTEGER PRIMARY KEY, v INTEGER);"));
        doc.Mutate(new SqlMutation(schema));
        var queries = new List<LiveQuery<long>>();
        for (int i = 0; i < 1000; i++)
        {
            queries.Add(doc.Live<long>($"SELECT count(*) + {i / 100} FROM t{i % 100}"));
        }

        long before = doc.LiveMarkChecksForTesting;
        for (int n = 0; n < 50; n++)
        {
            doc.Mutate(new SqlMutation($"INSERT INTO t{n % 100}(v) VALUES (1)"));
        }

        // 50 mutations, each of one table read by 10 queries: 500 looks, not 50,000.
        Assert.Equal(500, doc.LiveMarkChecksForTesting - before);

        before = doc.LiveMarkChecksForTesting;
        doc.Mutate(new SqlMutation("INSERT INTO t1(v) VALUES (1); INSERT INTO t2(v) VALUES (1)"));
        Assert.Equal(20, doc.LiveMarkChecksForTesting - before);

        queries[3].Dispose(); // a disposed query is unfiled
        before = doc.LiveMarkChecksForTesting;
        doc.Mutate(new SqlMutation("INSERT INTO t3(v) VALUES (1)"));
        Assert.Equal(9, doc.LiveMarkChecksForTesting - before);
        foreach (LiveQuery<long> query in queries)
        {
            query.Dispose();
        }
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ResultsFollowJoinsViewsWithoutRowidTablesTriggersCascadesAndIndexOnlyPlans()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("""
            PRAGMA foreign_keys;
            CREATE TABLE lists(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE todos(id INTEGER PRIMARY KEY, list INTEGER REFERENCES lists(id) ON DELETE CASCADE, title TEXT, done INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX todos_title ON todos(title);
            CREATE TABLE tags(name TEXT PRIMARY KEY, uses INTEGER) WITHOUT ROWID;
            CREATE TABLE log(id INTEGER PRIMARY KEY, what TEXT);
            CREATE TRIGGER todos_log AFTER INSERT ON todos BEGIN INSERT INTO log(what) VALUES ('added ' || new.title); END;
            CREATE VIEW open_todos AS SELECT t.title, l.name FROM todos t JOIN lists l ON l.id = t.list WHERE t.done = 0;
            """));
        string[] queries =
        {
            "SELECT t.title, l.name FROM todos t JOIN lists l ON l.id = t.list ORDER BY t.id",
            "SELECT * FROM open_todos ORDER BY title",
            "SELECT name, uses FROM tags ORDER BY name",
            "SELECT title FROM todos WHERE title >= '' ORDER BY title", // covering index: reads only todos_title
            "SELECT count(*) FROM log",
        };
        var live = queries.Select(q => doc.Live(q)).ToList();
        string[] steps =
        {
            "INSERT INTO lists VALUES (1, 'home')",
            "INSERT INTO todos(id, list, title) VALUES (1, 1, 'milk'), (2, 1, 'bread')",
            "INSERT INTO tags VALUES ('urgent', 1)",
            "UPDATE tags SET uses = uses + 1",
            "UPDATE todos SET done = 1 WHERE id = 1",
            "UPDATE lists SET name = 'house'",
            "DELETE FROM tags",
            "PRAGMA foreign_keys",
            "DELETE FROM lists", // no cascade (foreign_keys off): a join loses its rows all the same
            "INSERT INTO lists VALUES (1, 'again')",
        };
        foreach (string step in steps)
        {
            doc.Mutate(new SqlMutation(step));
            AssertAllFresh(doc, live);
        }

        Assert.Equal(new[] { "todos" }, live[3].Tables);
        Assert.Equal(new[] { "lists", "todos" }, live[1].Tables!.Order());
        live.ForEach(q => q.Dispose());
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ResultsEqualAFreshQueryAfterEveryLocalMutationAndRebase()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "live", Reducer = SqlMutation.Reducer });
        using var a = LocalDocument.Open(Options());
        using var b = LocalDocument.Open(Options());
        a.Mutate(new SqlMutation("CREATE TABLE items(id INTEGER PRIMARY KEY, qty INTEGER); CREATE TABLE other(id INTEGER PRIMARY KEY)"));
        DirectSync.Sync(a, coordinator);
        DirectSync.Sync(b, coordinator);
        string[] queries = { "SELECT id, qty FROM items ORDER BY id", "SELECT sum(qty) FROM items", "SELECT count(*) FROM other" };
        var liveA = queries.Select(q => a.Live(q)).ToList();
        var liveB = queries.Select(q => b.Live(q)).ToList();
        var random = new Random(17);
        for (int i = 0; i < 120; i++)
        {
            LocalDocument doc = random.Next(2) == 0 ? a : b;
            switch (random.Next(6))
            {
                case 0:
                    doc.Mutate(new SqlMutation($"INSERT OR REPLACE INTO items VALUES ({random.Next(20)}, {random.Next(100)})"));
                    break;
                case 1:
                    doc.Mutate(new SqlMutation($"DELETE FROM items WHERE id = {random.Next(20)}"));
                    break;
                case 2:
                    doc.Mutate(new SqlMutation($"INSERT INTO other DEFAULT VALUES"));
                    break;
                case 3:
                    DirectSync.Upload(doc, coordinator);
                    break;
                case 4:
                    coordinator.StepAll();
                    DirectSync.Download(doc, coordinator);
                    break;
                default:
                    doc.Rebase();
                    break;
            }

            AssertAllFresh(a, liveA);
            AssertAllFresh(b, liveB);
        }

        DirectSync.Sync(a, coordinator);
        DirectSync.Sync(b, coordinator);
        DirectSync.Sync(a, coordinator);
        AssertAllFresh(a, liveA);
        AssertAllFresh(b, liveB);
        Assert.Equal(a.Query<long>("SELECT count(*) FROM items")[0], b.Query<long>("SELECT count(*) FROM items")[0]);
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ASchemaChangeRunsEveryQueryAgainAndNewColumnsAreDelivered()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE a(x INTEGER); CREATE TABLE b(y INTEGER); INSERT INTO a VALUES (1)"));
        using var star = doc.Live("SELECT * FROM a");
        using var other = doc.Live("SELECT count(*) FROM b");
        doc.Mutate(new SqlMutation("ALTER TABLE a ADD COLUMN z TEXT DEFAULT 'new'"));
        WaitUntil(() => star.Current[0].Length == 2, "the new column is delivered");
        Assert.Equal("new", star.Current[0][1]);
        WaitUntil(() => other.RunCount == 2, "the unrelated query ran again after the schema change");
        doc.Mutate(new SqlMutation("CREATE INDEX a_x ON a(x)"));
        doc.Mutate(new SqlMutation("INSERT INTO a(x) VALUES (2)"));
        AssertAllFresh(doc, new[] { star, other });
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ASchemaChangedWhileNoLiveQueryExistedIsSeenByTheNextOne()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE a(x INTEGER); CREATE TABLE b(y INTEGER)"));
        doc.Live("SELECT count(*) FROM a").Dispose();
        doc.Mutate(new SqlMutation("DROP TABLE a; CREATE TABLE c(z INTEGER); CREATE TABLE a(x INTEGER); INSERT INTO c VALUES (1)"));
        using var live = doc.Live<long>("SELECT count(*) FROM a");
        Assert.Equal(new[] { "a" }, live.Tables);
        doc.Mutate(new SqlMutation("INSERT INTO a VALUES (1)"));
        WaitUntil(() => live.Current[0] == 1, "the insert into the new table a is delivered");
        doc.Mutate(new SqlMutation("INSERT INTO c VALUES (2)"));
        doc.Mutate(new SqlMutation("INSERT INTO a VALUES (2)"));
        WaitUntil(() => live.Current[0] == 2, "the second insert is delivered");
        Assert.Equal(3, live.RunCount); // the insert into c did not run it
    }

    [Fact]
    [Trait("Category", "Live")]
    public void AnUnchangedResultIsNotDelivered()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1)"));
        using var live = doc.Live<long>("SELECT count(*) FROM t");
        int delivered = 0;
        live.Changed += (_, _) => Interlocked.Increment(ref delivered);
        doc.Mutate(new SqlMutation("UPDATE t SET v = 2"));
        WaitUntil(() => live.RunCount == 2, "the query ran again");
        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (2, 2)"));
        WaitUntil(() => live.Current[0] == 2, "the new count is delivered");
        WaitUntil(() => Volatile.Read(ref delivered) == 1, "one delivery");
        Assert.Equal(3, live.RunCount);
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task ADisposedLiveQueryStopsAndTheDocumentDisposesCleanly()
    {
        var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER)"));
        var live = doc.Live<long>("SELECT count(*) FROM t");
        var kept = doc.Live<long>("SELECT count(*) FROM t");
        var completed = new TaskCompletionSource();
        kept.Subscribe(new Observer<long>(_ => { }, () => completed.TrySetResult()));
        live.Dispose();
        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
        WaitUntil(() => kept.Current[0] == 1, "the other query follows");
        Assert.Equal(1, live.RunCount);
        doc.Dispose();
        await completed.Task.WaitAsync(Deadline); // subscribers are completed when the document is disposed
        kept.Dispose();
    }

    [Fact]
    [Trait("Category", "Live")]
    public async Task AsyncEnumerationYieldsTheCurrentResultThenEachChange()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT, done INTEGER)"));
        using var live = doc.Live<Todo>("SELECT id, title, done FROM todos ORDER BY id");
        using var cancel = new CancellationTokenSource(Deadline);
        var seen = new List<IReadOnlyList<Todo>>();
        await foreach (IReadOnlyList<Todo> result in live.WithCancellation(cancel.Token))
        {
            seen.Add(result);
            if (seen.Count == 1)
            {
                doc.Mutate(new SqlMutation("INSERT INTO todos VALUES (1, 'milk', 0)"));
            }
            else if (result.Count == 1)
            {
                break;
            }
        }

        Assert.Empty(seen[0]);
        Assert.Equal(new Todo(1, "milk", false), seen[^1][0]);
    }

    [Fact]
    [Trait("Category", "Live")]
    public void DeliveryRunsOnTheGivenSynchronizationContext()
    {
        using var context = new SingleThreadContext();
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER)"));
        using var live = doc.Live<long>(context, "SELECT count(*) FROM t");
        var threads = new List<int>();
        long lastSeen = -1;
        live.Changed += (_, _) => { lock (threads) threads.Add(Environment.CurrentManagedThreadId); };
        using var subscription = live.Subscribe(new Observer<long>(result =>
        {
            lock (threads) threads.Add(Environment.CurrentManagedThreadId);
            Volatile.Write(ref lastSeen, result[0]);
        }, () => { }));
        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
        WaitUntil(() => Volatile.Read(ref lastSeen) == 1, "the subscriber saw the change");
        WaitUntil(() => { lock (threads) return threads.Count >= 2; }, "the event was raised too");
        Assert.All(threads, id => Assert.Equal(context.ThreadId, id));
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ASubscriberThatMutatesFromItsCallbackDoesNotDeadlock()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(v INTEGER)"));
        using var live = doc.Live<long>("SELECT count(*) FROM t");
        live.Changed += (_, result) =>
        {
            if (result[0] < 50)
            {
                doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
                _ = doc.Query<long>("SELECT count(*) FROM t");
            }
        };
        doc.Mutate(new SqlMutation("INSERT INTO t VALUES (1)"));
        WaitUntil(() => live.Current[0] == 50, "the callbacks' mutations reach 50 rows");
    }

    [Fact]
    [Trait("Category", "Live")]
    public void TypedQueriesMapColumnsByNameAndNameTheMismatch()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT, done INTEGER, created_at TEXT); INSERT INTO todos VALUES (1, 'milk', 1, '2026-01-02 03:04:05'), (2, NULL, 0, NULL)"));
        Assert.Equal(new Todo(1, "milk", true), doc.Query<Todo>("SELECT id, title, done FROM todos WHERE id = 1")[0]);
        Todoish row = doc.Query<Todoish>("SELECT id, title, created_at FROM todos WHERE id = 1")[0];
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), row.CreatedAt);
        Assert.Equal(new long[] { 1, 2 }, doc.Query<long>("SELECT id FROM todos ORDER BY id"));

        var extra = Assert.Throws<SqlSyncException>(() => doc.Query<Todo>("SELECT id, title, done, created_at FROM todos"));
        Assert.Equal(SqlSyncErrorCode.RowMappingMismatch, extra.Code);
        Assert.Contains("created_at", extra.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<SqlSyncException>(() => doc.Query<Todo>("SELECT id, title FROM todos"));
        Assert.Contains("'Done'", missing.Message, StringComparison.Ordinal);
        var nulls = Assert.Throws<SqlSyncException>(() => doc.Query<int>("SELECT created_at IS NULL OR NULL FROM todos WHERE id = 1"));
        Assert.Contains("NULL", nulls.Message, StringComparison.Ordinal);
        var text = Assert.Throws<SqlSyncException>(() => doc.Query<long>("SELECT title FROM todos WHERE id = 1"));
        Assert.Contains("text 'milk'", text.Message, StringComparison.Ordinal);
        var live = Assert.Throws<SqlSyncException>(() => doc.Live<Todo>("SELECT id FROM todos"));
        Assert.Equal(SqlSyncErrorCode.RowMappingMismatch, live.Code);
        var writes = Assert.Throws<SqlSyncException>(() => doc.Live<long>("DELETE FROM todos RETURNING id"));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, writes.Code);
        var two = Assert.Throws<SqlSyncException>(() => doc.Query<long>("SELECT 1; SELECT 2"));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, two.Code);
    }

    internal static void AssertAllFresh(LocalDocument doc, IEnumerable<LiveQuery<object?[]>> live)
    {
        foreach (LiveQuery<object?[]> query in live)
        {
            WaitUntil(() => Same(query.Current, doc.Query<object?[]>(query.Sql)), $"'{query.Sql}' equals a fresh query");
        }
    }

    private static bool Same(IReadOnlyList<object?[]> a, IReadOnlyList<object?[]> b) =>
        a.Count == b.Count && a.Zip(b).All(pair => pair.First.SequenceEqual(pair.Second));

    public sealed class Todoish
    {
        public long Id { get; set; }
        public string? Title { get; set; }
        public DateTime? CreatedAt { get; set; }
    }

    internal sealed class Observer<T>(Action<IReadOnlyList<T>> next, Action completed) : IObserver<IReadOnlyList<T>>
    {
        public void OnCompleted() => completed();
        public void OnError(Exception error) { }
        public void OnNext(IReadOnlyList<T> value) => next(value);
    }

    /// <summary>A UI-like context: one thread runs what is posted, in order.</summary>
    private sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly System.Collections.Concurrent.BlockingCollection<(SendOrPostCallback, object?)> _work = new();
        private readonly Thread _thread;

        public SingleThreadContext()
        {
            _thread = new Thread(() =>
            {
                foreach (var (callback, state) in _work.GetConsumingEnumerable())
                {
                    callback(state);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public int ThreadId => _thread.ManagedThreadId;

        public override void Post(SendOrPostCallback d, object? state) => _work.Add((d, state));

        public void Dispose()
        {
            _work.CompleteAdding();
            _thread.Join(Deadline);
            _work.Dispose();
        }
    }
}
