using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Live.LiveQueryTests;

namespace SqlSync.Runtime.Tests.Live;

/// <summary>Live queries across rebases that receive coordinator entries: only the tables those pages belong to run again.</summary>
public sealed class LiveQueryRebaseTests
{
    [Fact]
    [Trait("Category", "Live")]
    public void ARebaseWithCoordinatorEntriesRunsOnlyTheQueriesOfTheTablesTheyWrote()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "live", Reducer = SqlMutation.Reducer });
        using var a = LocalDocument.Open(Options());
        using var b = LocalDocument.Open(Options());
        string schema = string.Concat(Enumerable.Range(0, 10).Select(t => $"CREATE TABLE t{t}(id INTEGER PRIMARY KEY, v TEXT);"));
        a.Mutate(new SqlMutation(schema + $"INSERT INTO t5 VALUES (1, {Text(20000, 'a')});"));
        DirectSync.Sync(a, coordinator);
        DirectSync.Sync(b, coordinator);
        var live = Enumerable.Range(0, 10).Select(t => b.Live($"SELECT id, substr(v, -3) FROM t{t} ORDER BY id")).ToList();

        a.Mutate(new SqlMutation("INSERT INTO t3 VALUES (7, 'x')"));
        DirectSync.Sync(a, coordinator);
        DirectSync.Download(b, coordinator);
        AssertAllFresh(b, live);
        Assert.Equal(Enumerable.Range(0, 10).Select(t => t == 3 ? 2L : 1L), live.Select(q => q.RunCount));

        // Same length, last character changed: SQLite rewrites only the last overflow page of the row, not its leaf.
        a.Mutate(new SqlMutation("UPDATE t5 SET v = substr(v, 1, 19999) || 'b'"));
        DirectSync.Sync(a, coordinator);
        DirectSync.Download(b, coordinator);
        AssertAllFresh(b, live);
        Assert.Equal("aab", live[5].Current[0][1]);
        Assert.Equal(Enumerable.Range(0, 10).Select(t => t is 3 or 5 ? 2L : 1L), live.Select(q => q.RunCount));
        foreach (LiveQuery<object?[]> query in live)
        {
            query.Dispose();
        }
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ResultsEqualAFreshQueryAfterEveryRebaseInAConvergenceSchedule()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "live", Reducer = SqlMutation.Reducer });
        var docs = Enumerable.Range(0, 3).Select(_ => LocalDocument.Open(Options())).ToList();
        docs[0].Mutate(new SqlMutation("""
            CREATE TABLE items(id INTEGER PRIMARY KEY, qty INTEGER, note TEXT);
            CREATE INDEX items_qty ON items(qty);
            CREATE TABLE tags(name TEXT PRIMARY KEY, uses INTEGER) WITHOUT ROWID;
            CREATE TABLE blobs(id INTEGER PRIMARY KEY, body TEXT);
            CREATE TABLE other(id INTEGER PRIMARY KEY);
            CREATE VIEW heavy AS SELECT i.id, i.qty, t.name FROM items i JOIN tags t ON t.uses = i.qty;
            """));
        foreach (LocalDocument doc in docs)
        {
            DirectSync.Sync(doc, coordinator);
        }

        string[] queries =
        {
            "SELECT id, qty, length(note) FROM items ORDER BY id",
            "SELECT qty FROM items WHERE qty >= 0 ORDER BY qty", // the index alone
            "SELECT name, uses FROM tags ORDER BY name",
            "SELECT id, length(body), substr(body, -4) FROM blobs ORDER BY id",
            "SELECT count(*) FROM other",
            "SELECT * FROM heavy ORDER BY id, name",
        };
        var live = docs.Select(doc => queries.Select(q => doc.Live(q)).ToList()).ToList();
        var random = new Random(29);
        for (int i = 0; i < 200; i++)
        {
            int d = random.Next(docs.Count);
            LocalDocument doc = docs[d];
            switch (random.Next(9))
            {
                case 0:
                    // Many rows at once split pages; long notes go to overflow pages.
                    int first = random.Next(300);
                    doc.Mutate(new SqlMutation($"WITH RECURSIVE s(value) AS (SELECT {first} UNION ALL SELECT value + 1 FROM s WHERE value < {first + random.Next(80)}) INSERT OR REPLACE INTO items SELECT value, value % 17, {Text(random.Next(6000), 'n')} FROM s"));
                    break;
                case 1:
                    int from = random.Next(300);
                    doc.Mutate(new SqlMutation($"DELETE FROM items WHERE id BETWEEN {from} AND {from + random.Next(120)}")); // pages go to the free list
                    break;
                case 2:
                    doc.Mutate(new SqlMutation($"INSERT OR REPLACE INTO tags VALUES ('tag{random.Next(40)}', {random.Next(17)})"));
                    break;
                case 3:
                    int length = 10000 + random.Next(3);
                    doc.Mutate(new SqlMutation($"INSERT OR REPLACE INTO blobs VALUES ({random.Next(4)}, {Text(length, 'b')} || '{random.Next(1000):D4}')"));
                    break;
                case 4:
                    doc.Mutate(new SqlMutation("INSERT INTO other DEFAULT VALUES"));
                    break;
                case 5:
                    DirectSync.Upload(doc, coordinator);
                    break;
                case 6:
                case 7:
                    coordinator.StepAll();
                    DirectSync.Download(doc, coordinator);
                    break;
                default:
                    doc.Rebase();
                    break;
            }

            AssertAllFresh(doc, live[d]);
        }

        for (int round = 0; round < 2; round++)
        {
            foreach (LocalDocument doc in docs)
            {
                DirectSync.Sync(doc, coordinator);
            }
        }

        for (int d = 0; d < docs.Count; d++)
        {
            AssertAllFresh(docs[d], live[d]);
            Assert.Equal(docs[0].Query<object?[]>(queries[0]).Count, docs[d].Query<object?[]>(queries[0]).Count);
        }

        foreach (LocalDocument doc in docs)
        {
            doc.Dispose();
        }
    }

    /// <summary>SQL for a text of <paramref name="length"/> times <paramref name="c"/> (deterministic in a mutation).</summary>
    private static string Text(int length, char c) => $"substr(replace(hex(zeroblob({length})), '0', '{c}'), 1, {length})";
}
