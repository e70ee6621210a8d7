using System.Collections.Concurrent;
using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Live.LiveQueryTests;

namespace SqlSync.Runtime.Tests.Live;

/// <summary>How the refresh loop orders, shares and hands over the runs of many live queries (decision 0033).</summary>
public sealed class LiveQuerySchedulingTests
{
    [Fact]
    [Trait("Category", "Live")]
    public void IdenticalQueriesRunOnceAndEachDeliversTheRows()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        using var a = doc.Live<long>("SELECT count(*) FROM t WHERE v > ?", 0L);
        using var b = doc.Live<long>("SELECT count(*) FROM t WHERE v > ?", 0L);
        using var other = doc.Live<long>("SELECT count(*) FROM t WHERE v > ?", 5L);
        using var typed = doc.Live<object?[]>("SELECT count(*) FROM t WHERE v > ?", 0L);
        doc.LiveRegistryForTesting!.SliceBudget = TimeSpan.FromMinutes(1); // the four in one slice, whatever the load
        int delivered = 0;
        a.Changed += (_, _) => Interlocked.Increment(ref delivered);
        b.Changed += (_, _) => Interlocked.Increment(ref delivered);
        typed.Changed += (_, _) => Interlocked.Increment(ref delivered);
        other.Changed += (_, _) => Interlocked.Increment(ref delivered);

        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (3)"));
        WaitUntil(() => Volatile.Read(ref delivered) == 3, "the three queries whose result changed delivered");

        Assert.Equal(1, a.Current[0]);
        Assert.Equal(1, b.Current[0]);
        Assert.Equal(1L, typed.Current[0][0]);
        Assert.Equal(0, other.Current[0]); // other arguments: run on its own, unchanged, not delivered
        Assert.Equal(2, other.RunCount);
        Assert.Equal(4, a.RunCount + b.RunCount + typed.RunCount); // three first runs, then one run shared by the three
        Assert.Equal(3, Volatile.Read(ref delivered));
    }

    [Fact]
    [Trait("Category", "Live")]
    public void WatchedQueriesRunBeforeThoseNobodyWatches()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        var unwatched = Enumerable.Range(0, 200).Select(i => doc.Live<long>($"SELECT count(*) + {i} FROM t")).ToList();
        using var watched = doc.Live<long>("SELECT count(*) FROM t");
        using var enumerated = doc.Live<long>("SELECT count(*) - 1 FROM t");
        using var observed = enumerated.Subscribe(new Observer<long>(_ => { }, () => { }));
        int seen = 0;
        watched.Changed += (_, _) => Interlocked.Increment(ref seen);

        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
        WaitUntil(() => Volatile.Read(ref seen) == 1 && unwatched.All(q => q.Current[0] == 1 + OffsetOf(q)), "every query has the new row");

        long lastWatched = Math.Max(watched.LastRunSequence, enumerated.LastRunSequence);
        Assert.All(unwatched, q => Assert.True(q.LastRunSequence > lastWatched, "a query nobody watches ran before a watched one"));
        unwatched.ForEach(q => q.Dispose());
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ResultsArriveInOrderAndTheLastIsTheNewestAcrossManySlices()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        var others = Enumerable.Range(0, 100).Select(i => doc.Live<long>($"SELECT count(*) * {i} FROM t")).ToList();
        using var live = doc.Live<long>("SELECT count(*) FROM t");
        doc.LiveRegistryForTesting!.SliceBudget = TimeSpan.Zero; // one query per slice: mutations interleave everywhere
        var values = new ConcurrentQueue<long>();
        live.Changed += (_, result) => values.Enqueue(result[0]);

        for (int i = 0; i < 200; i++)
        {
            doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
        }

        WaitUntil(() => live.Current[0] == 200 && others.Select((q, i) => q.Current[0] == 200 * i).All(b => b), "every query reaches 200 rows");
        long[] seen = values.ToArray();
        Assert.Equal(200, seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First < p.Second), "results arrived out of order or twice: " + string.Join(",", seen));
        others.ForEach(q => q.Dispose());
    }

    [Fact]
    [Trait("Category", "Live")]
    public void ASubscriberThatNeverReturnsHoldsNeitherMutationsNorTheRuns()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        using var stuck = doc.Live<long>("SELECT count(*) FROM t");
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        stuck.Changed += (_, _) =>
        {
            entered.Set();
            gate.Wait(TimeSpan.FromSeconds(60));
        };
        using var second = doc.Live<long>("SELECT count(*) + 0 FROM t");
        try
        {
            doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
            Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the first delivery began");
            for (int i = 0; i < 20; i++)
            {
                doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)")); // returns: the refresh loop never waits for deliveries
            }

            Assert.Equal(21, doc.Query<long>("SELECT count(*) FROM t")[0]);
            WaitUntil(() => { lock (doc.Database.DocumentLock) return second.LastRunSequence > 0 && !((ILiveQuery)second).Dirty; }, "the other query ran again while the subscriber is stuck");
        }
        finally
        {
            gate.Set();
        }

        WaitUntil(() => stuck.Current[0] == 21 && second.Current[0] == 21, "after the subscriber returns, the newest result arrives");
    }

    [Fact]
    [Trait("Category", "Live")]
    public void AQueryNobodyWatchesHandsNothingToTheDeliveriesAndItsCurrentIsRight()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"));
        var unwatched = Enumerable.Range(0, 100).Select(i => doc.Live<long>($"SELECT count(*) + {i} FROM t")).ToList();
        using var rows = doc.Live<Row>("SELECT id, v FROM t ORDER BY id");
        using var watched = doc.Live<long>("SELECT count(*) FROM t");
        int seen = 0;
        watched.Changed += (_, _) => Interlocked.Increment(ref seen);
        LiveQueryRegistry registry = doc.LiveRegistryForTesting!;
        long handedBefore = registry.DeliveriesHanded;

        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES ('a')"));
        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES ('b')"));
        WaitUntil(() => Volatile.Read(ref seen) >= 1 && watched.Current[0] == 2, "the watched query delivered the two rows");
        WaitUntil(() => { lock (doc.Database.DocumentLock) return unwatched.All(q => !((ILiveQuery)q).Dirty) && !((ILiveQuery)rows).Dirty; }, "every query ran again");

        // Only the watched query's results went to the delivery loop; the others are mapped when Current is read.
        Assert.InRange(registry.DeliveriesHanded - handedBefore, 1, 2);
        Assert.All(unwatched, q => Assert.Equal(2 + OffsetOf(q), q.Current[0]));
        Assert.Equal(new[] { new Row(1, "a"), new Row(2, "b") }, rows.Current);

        // A subscriber that comes later gets that result first, then the next ones.
        var got = new ConcurrentQueue<long>();
        using IDisposable subscription = unwatched[0].Subscribe(new Observer<long>(r => got.Enqueue(r[0]), () => { }));
        WaitUntil(() => got.Count == 1, "the new subscriber got the current result");
        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES ('c')"));
        WaitUntil(() => got.Count == 2, "the subscriber got the next result");
        Assert.Equal(new long[] { 2, 3 }, got.ToArray());
        unwatched.ForEach(q => q.Dispose());
    }

    [Fact]
    [Trait("Category", "Live")]
    public void AWatchedResultEndsItsSliceSoItIsDeliveredBeforeTheOthersRun()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        var unwatched = Enumerable.Range(0, 200).Select(i => doc.Live<long>($"SELECT count(*) + {i} FROM t")).ToList();
        using var watched = doc.Live<long>("SELECT count(*) FROM t");
        using var alsoWatched = doc.Live<long>("SELECT count(*) * 2 FROM t");
        int seen = 0;
        watched.Changed += (_, _) => Interlocked.Increment(ref seen);
        alsoWatched.Changed += (_, _) => Interlocked.Increment(ref seen);
        LiveQueryRegistry registry = doc.LiveRegistryForTesting!;
        registry.SliceBudget = TimeSpan.FromMinutes(1); // without the rule, one slice would run all 202
        // Not about the pause the others wait for: without it, no slice merely rests (1 ms after the mark: one more slice
        // or not, by timing alone).
        registry.UnwatchedQuiet = TimeSpan.Zero;
        ILiveQuery[] all = unwatched.Cast<ILiveQuery>().Append(watched).Append(alsoWatched).ToArray();
        long slicesBefore = 0;
        // The first runs of the 202 queries are slices too: counted from when they are done.
        WaitUntil(() => { lock (doc.Database.DocumentLock) { slicesBefore = registry.Slices; return all.All(q => !q.Dirty); } }, "the first runs ended");

        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
        WaitUntil(() => Volatile.Read(ref seen) == 2, "both watched queries delivered");
        WaitUntil(() => { lock (doc.Database.DocumentLock) return unwatched.All(q => !((ILiveQuery)q).Dirty); }, "the others ran");

        lock (doc.Database.DocumentLock)
        {
            // One slice for the two watched queries (together: the slice ends once no watched query waits), one for the rest.
            Assert.Equal(2, registry.Slices - slicesBefore);
        }

        Assert.All(unwatched, q => Assert.Equal(1 + OffsetOf(q), q.Current[0]));
        unwatched.ForEach(q => q.Dispose());
    }

    [Fact]
    [Trait("Category", "Live")]
    public void MutatorsOnSeveralThreadsNeverLeaveTheRefreshLoopParked()
    {
        // Waiting mutations park the refresh loop and the one that gets the lock resumes it: a lost resume would leave
        // the queries behind for good (this fails at the deadline then).
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        var queries = Enumerable.Range(0, 100).Select(i => doc.Live<long>($"SELECT count(*) + {i} FROM t")).ToList();
        using var watched = doc.Live<long>("SELECT count(*) FROM t");
        watched.Changed += (_, _) => { };
        const int Threads = 4, PerThread = 150;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
            }
        });

        WaitUntil(() => watched.Current[0] == Threads * PerThread && queries.Select((q, i) => q.Current[0] == (Threads * PerThread) + i).All(b => b), "every query caught up with the last mutation");
        queries.ForEach(q => q.Dispose());
    }

    [Fact]
    [Trait("Category", "Live")]
    public void QueriesNobodyWatchesWaitForAPauseInTheChangesAtMostTheMaxLag()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new SqlMutation("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)"));
        var unwatched = Enumerable.Range(0, 50).Select(i => doc.Live<long>($"SELECT count(*) + {i} FROM t")).ToList();
        using var watched = doc.Live<long>("SELECT count(*) FROM t");
        int seen = 0;
        watched.Changed += (_, _) => Interlocked.Increment(ref seen);
        LiveQueryRegistry registry = doc.LiveRegistryForTesting!;
        registry.UnwatchedQuiet = TimeSpan.FromMinutes(10); // the document never looks quiet
        registry.UnwatchedMaxLag = TimeSpan.FromMinutes(10);

        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
        WaitUntil(() => Volatile.Read(ref seen) == 1, "the watched query delivered at once");
        lock (doc.Database.DocumentLock)
        {
            Assert.All(unwatched, q => Assert.True(((ILiveQuery)q).Dirty, "a query nobody watches ran while the changes had not paused"));
        }

        // A subscription makes one watched: it runs at once, although the loop rests.
        var got = new ConcurrentQueue<long>();
        using IDisposable subscription = unwatched[3].Subscribe(new Observer<long>(r => got.Enqueue(r[0]), () => { }));
        WaitUntil(() => got.Count == 1, "the new subscriber got the new result");
        Assert.Equal(4, got.Single());

        // The lag bound: the others run once it has passed, although the document still does not look quiet.
        registry.UnwatchedMaxLag = TimeSpan.FromMilliseconds(20);
        doc.Mutate(new SqlMutation("INSERT INTO t(v) VALUES (1)"));
        WaitUntil(() => unwatched.Select((q, i) => q.Current[0] == 2 + i).All(b => b), "the others ran after the lag bound");
        unwatched.ForEach(q => q.Dispose());
    }

    internal sealed record Row(long Id, string V);

    /// <summary>The i of a query "SELECT count(*) + i FROM t".</summary>
    private static int OffsetOf(LiveQuery<long> query) => int.Parse(query.Sql.Split('+')[1].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
}
