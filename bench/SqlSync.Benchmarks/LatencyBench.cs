using System.Diagnostics;
using SqlSync.Documents;

namespace SqlSync.Benchmarks;

/// <summary>One propagation-latency trial: percentiles in ms, the achieved send rate, and wire bytes.</summary>
internal sealed record LatencyResult(
    double P50, double P99, double Max, double SendRate, double UploadP50, double UploadP99, double PushP50, double PushP99,
    double UpBytesPerMutation, double DownBytesPerMutationPerClient);

/// <summary>
/// End-to-end propagation: client A inserts rows whose id is a sequence number; client B watches its
/// document's Changed event (Kind == Rebased), queries max(id) and timestamps every newly visible sequence
/// number. The server's apply time of each mutation comes from the sqlsync.mutations.applied counter, which
/// splits the latency into "A's Mutate to applied by the coordinator" and "applied to visible in B".
/// </summary>
internal static class LatencyBench
{
    /// <summary>False (<c>--no-page-deltas</c>) sends storage entries as full pages, to compare the bytes (decision 0025).</summary>
    public static bool PageDeltas { get; set; } = true;

    /// <summary>Sends <paramref name="count"/> mutations, every <paramref name="interval"/> (or back to back when zero).</summary>
    public static async Task<LatencyResult> RunAsync(WireMeter meter, bool fsync, int count, TimeSpan interval, Action<SqlSync.Server.SqlSyncServerOptions>? configure = null)
    {
        await using BenchServer server = await BenchServer.StartAsync(fsync, o =>
        {
            o.PageDeltaBytes = PageDeltas ? o.PageDeltaBytes : 0;
            configure?.Invoke(o); // the object-store benchmark's journal store
        });
        BenchPeer a = BenchPeer.Connect(server.SyncUri, "a"), b = BenchPeer.Connect(server.SyncUri, "b");
        try
        {
            if (!await BenchPeer.ConvergeAsync([a, b], TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("the two clients did not converge before the latency run");
            }

            long[] sent = new long[count + 1], applied = new long[count + 1], visible = new long[count + 1];
            long baseApplied = meter.MutationsApplied, lastApplied = 0, lastVisible = 0;
            long receivedBefore = meter.BytesReceived, sentBefore = meter.BytesSent;
            meter.Applied = (total, timestamp) =>
            {
                for (long k = lastApplied + 1; k <= Math.Min(total - baseApplied, count); k++)
                {
                    applied[k] = timestamp;
                }

                lastApplied = Math.Max(lastApplied, Math.Min(total - baseApplied, count));
            };
            EventHandler<DocumentChangedEventArgs> onChanged = (_, e) =>
            {
                if (e.Kind != DocumentChange.Rebased)
                {
                    return;
                }

                long max = b.Document.QueryScalar<long>("SELECT coalesce(max(id), 0) FROM t");
                long now = Stopwatch.GetTimestamp();
                for (long k = lastVisible + 1; k <= Math.Min(max, count); k++)
                {
                    visible[k] = now;
                }

                Volatile.Write(ref lastVisible, Math.Max(lastVisible, Math.Min(max, count)));
            };
            b.Document.Changed += onChanged;
            double sendSeconds = await Task.Factory.StartNew(() => Send(a.Document, sent, count, interval), TaskCreationOptions.LongRunning);
            var wait = Stopwatch.StartNew();
            while (Volatile.Read(ref lastVisible) < count && wait.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(5);
            }

            b.Document.Changed -= onChanged;
            meter.Applied = null;
            if (Volatile.Read(ref lastVisible) < count)
            {
                throw new TimeoutException($"B saw {lastVisible} of {count} mutations");
            }

            // Let the last acknowledgements cross before reading the byte counters.
            await BenchPeer.ConvergeAsync([a, b], TimeSpan.FromSeconds(10));
            double[] total = Millis(sent, visible), upload = Millis(sent, applied), push = Millis(applied, visible);
            return new LatencyResult(
                Percentile(total, 0.50), Percentile(total, 0.99), total.Max(), count / sendSeconds,
                Percentile(upload, 0.50), Percentile(upload, 0.99), Percentile(push, 0.50), Percentile(push, 0.99),
                (meter.BytesReceived - receivedBefore) / (double)count, (meter.BytesSent - sentBefore) / (double)count / 2);
        }
        finally
        {
            await BenchPeer.DisposeAllAsync([a, b]);
        }
    }

    public static double Percentile(double[] values, double p)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static double Send(LocalDocument document, long[] sent, int count, TimeSpan interval)
    {
        long start = Stopwatch.GetTimestamp();
        for (int seq = 1; seq <= count; seq++)
        {
            if (interval > TimeSpan.Zero)
            {
                // Stopwatch-scheduled: the seq-th send is due at start + (seq - 1) * interval, so a late send
                // does not push the later ones back (the rate stays 1 / interval on average).
                TimeSpan due = interval * (seq - 1);
                while (Stopwatch.GetElapsedTime(start) < due)
                {
                    TimeSpan left = due - Stopwatch.GetElapsedTime(start);
                    if (left > TimeSpan.FromMilliseconds(1.5))
                    {
                        Thread.Sleep(1);
                    }
                    else
                    {
                        Thread.SpinWait(50);
                    }
                }
            }

            sent[seq] = Stopwatch.GetTimestamp();
            document.Mutate(new BenchMutations.InsertRow(seq, BenchMutations.RowText));
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double[] Millis(long[] from, long[] to)
    {
        var result = new double[from.Length - 1];
        for (int i = 1; i < from.Length; i++)
        {
            result[i - 1] = Stopwatch.GetElapsedTime(from[i], to[i]).TotalMilliseconds;
        }

        return result;
    }
}
