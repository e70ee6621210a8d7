using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Mutations;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 17: local Mutate → a subscribed live query's new result delivered (its Changed handler runs, timestamped in the
/// handler), p50 and p99, with the one live query alone, beside 999 live queries over 99 other tables (which must not run),
/// and beside 999 that read the same table (all run again; the worst case) which nobody watches (they run after the
/// watched one), which all have a handler (the last of 1,000 results is delivered after all ran; the next mutation waits
/// for all 1,000, and the 999 others' deliveries are reported too), or which are the same SQL (run once, shared). In-memory
/// document. Beside each row, the time until the thread waiting for the handler resumed (the scheduler's wake-up on top)
/// and the time to Mutate's return (the mutation and the wait for the document lock, which the refresh loop holds while
/// it runs a slice of queries).
/// </summary>
internal static class LiveQueryBench
{
    public static int Run(bool quick, Action<string> print)
    {
        int samples = quick ? 300 : 5_000;
        print($"live queries: local Mutate -> Changed handler, {samples} samples each (500 for the rows of 1,000 re-running queries) (ms)");
        Report(print, "1 live query", Measure(samples, others: 0, sameTable: false));
        Report(print, "1 + 999 on 99 other tables", Measure(samples, others: 999, sameTable: false));
        Report(print, "1 + 999 on the same table", Measure(quick ? 50 : 500, others: 999, sameTable: true));
        Report(print, "1 + 999 on the same table, all watched", Measure(quick ? 50 : 500, others: 999, sameTable: true, watchAll: true));
        Report(print, "1 + 999 identical on the same table", Measure(quick ? 50 : 500, others: 999, sameTable: true, identical: true));
        return 0;
    }

    private static void Report(Action<string> print, string name, Samples ms)
    {
        print($"  {name,-38} {Stats(ms.Delivered)}   (waiter resumed: {Stats(ms.Resumed)}; Mutate returned: {Stats(ms.Mutate)})");
        if (ms.Others.Count > 0)
        {
            print($"  {"  the 999 others' deliveries",-38} {Stats(ms.Others)}");
        }
    }

    private static string Stats(List<double> ms)
    {
        ms.Sort();
        return $"p50 {ms[ms.Count / 2]:0.000}  p99 {ms[(int)(ms.Count * 0.99)]:0.000}  max {ms[^1]:0.000}";
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>From before Mutate to the handler, to the waiting thread's resumption, to Mutate's return, and (all watched) to each other query's handler.</summary>
    private static Samples Measure(int samples, int others, bool sameTable, bool watchAll = false, bool identical = false)
    {
        using var doc = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "live-bench", Reducer = SqlReducer.Instance, FsyncOnAppend = false });
        doc.Mutate(new SqlRecord(string.Concat(Enumerable.Range(0, 100).Select(t => $"CREATE TABLE t{t}(id INTEGER PRIMARY KEY, v INTEGER);"))));
        var extra = new List<LiveQuery<long>>();
        long[] othersAt = new long[others];
        int othersDelivered = 0;
        using var allOthers = new SemaphoreSlim(0);
        for (int i = 0; i < others; i++)
        {
            LiveQuery<long> query = doc.Live<long>(identical ? "SELECT count(*) FROM t0" : $"SELECT count(*) + {i} FROM t{(sameTable ? 0 : 1 + (i % 99))}");
            if (watchAll)
            {
                int slot = i;
                query.Changed += (_, _) =>
                {
                    othersAt[slot] = Stopwatch.GetTimestamp();
                    if (Interlocked.Increment(ref othersDelivered) == others)
                    {
                        allOthers.Release();
                    }
                };
            }

            extra.Add(query);
        }

        using var live = doc.Live<long>("SELECT count(*) FROM t0");
        using var delivered = new SemaphoreSlim(0);
        long handlerAt = 0;
        live.Changed += (_, _) =>
        {
            Volatile.Write(ref handlerAt, Stopwatch.GetTimestamp());
            delivered.Release();
        };
        var result = new Samples(new List<double>(samples), new List<double>(samples), new List<double>(samples), new List<double>());
        for (int i = 0; i < samples + 50; i++)
        {
            Volatile.Write(ref othersDelivered, 0);
            long start = Stopwatch.GetTimestamp();
            doc.Mutate(new SqlRecord("INSERT INTO t0(v) VALUES (1)"));
            long returned = Stopwatch.GetTimestamp();
            if (!delivered.Wait(TimeSpan.FromSeconds(30)) || (watchAll && !allOthers.Wait(TimeSpan.FromSeconds(30))))
            {
                throw new TimeoutException("no delivery");
            }

            long resumed = Stopwatch.GetTimestamp();
            if (i >= 50)
            {
                result.Delivered.Add(Ms(start, Volatile.Read(ref handlerAt)));
                result.Resumed.Add(Ms(start, resumed));
                result.Mutate.Add(Ms(start, returned));
                if (watchAll)
                {
                    result.Others.AddRange(othersAt.Select(at => Ms(start, at)));
                }
            }
        }

        extra.ForEach(q => q.Dispose());
        return result;
    }

    private sealed record Samples(List<double> Delivered, List<double> Resumed, List<double> Mutate, List<double> Others);

    private sealed record SqlRecord(string Sql) : IMutation
    {
        public uint Tag => 1;

        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteString(Sql);
        }
    }

    private sealed class SqlReducer : IMutationReducer
    {
        public static readonly SqlReducer Instance = new();

        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            _ = reader.ReadTag();
            context.Execute(reader.ReadString());
        }
    }
}
