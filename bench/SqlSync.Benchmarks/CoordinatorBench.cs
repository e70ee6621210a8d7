using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Benchmarks;

/// <summary>
/// Coordinator <c>Step</c> throughput: received single-row INSERT mutations applied one per transaction
/// (<c>Step(1)</c>) or 256 per transaction (<c>StepAll(256)</c>). Only the stepping is timed; receiving the
/// timeline is setup. With file journals the queue is received with fsync off, then the coordinator is
/// reopened with fsync on (the queue is rebuilt from the received journal), so every storage append fsyncs.
/// </summary>
internal static class CoordinatorBench
{
    public const int BatchSize = 256;

    public static string Name(bool file, int batch) =>
        $"coordinator {(batch == 1 ? "Step(1)" : $"StepAll({batch})")}, {(file ? "file journals + fsync" : "memory journals")}";

    public static double Trial(int ops, int batch, bool file)
    {
        using var temp = file ? new TempRoot("coordinator") : null;
        string? directory = temp?.Sub("doc");
        var timeline = TimelineId.New();
        int warmup = Math.Max(1, ops / 10);

        CoordinatorDocument coordinator = Open(directory, fsync: !file);
        try
        {
            // The warm-up (schema + a tenth of the rows) goes through the same path as the timed part.
            Feed(coordinator, timeline, Lsn.Zero, 0, warmup, withSchema: true);
            if (file)
            {
                coordinator.Dispose();
                coordinator = Open(directory, fsync: true);
            }

            Apply(coordinator, batch);
            Lsn next = coordinator.GetTimelineRange(timeline).Next;
            if (file)
            {
                coordinator.Dispose();
                coordinator = Open(directory, fsync: false);
            }

            Feed(coordinator, timeline, next, warmup, ops, withSchema: false);
            if (file)
            {
                coordinator.Dispose();
                coordinator = Open(directory, fsync: true);
            }

            Timing.Expect(coordinator.QueuedMutationCount, ops, "queued mutations");
            Timing.Settle();
            double start = Timing.Now();
            int applied = Apply(coordinator, batch);
            double seconds = Timing.Now() - start;
            Timing.Expect(applied, ops, "applied mutations");
            Timing.Expect(coordinator.Query("SELECT count(*) FROM t")[0][0] is long rows ? rows : -1, warmup + ops, "coordinator row count");
            return ops / seconds;
        }
        finally
        {
            coordinator.Dispose();
        }
    }

    private static int Apply(CoordinatorDocument coordinator, int batch)
    {
        if (batch > 1)
        {
            return coordinator.StepAll(batch);
        }

        int total = 0;
        while (coordinator.Step(1) > 0)
        {
            total++;
        }

        return total;
    }

    private static CoordinatorDocument Open(string? directory, bool fsync) => CoordinatorDocument.Open(new CoordinatorDocumentOptions
    {
        DocumentId = "bench",
        Reducer = BenchMutations.Reducer,
        Directory = directory,
        FsyncOnAppend = fsync,
    });

    /// <summary>Delivers timeline entries (schema first if asked, then rows with ids after <paramref name="rowsBefore"/>).</summary>
    private static void Feed(CoordinatorDocument coordinator, TimelineId timeline, Lsn first, int rowsBefore, int rows, bool withSchema)
    {
        long timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var entries = new List<ReadOnlyMemory<byte>>(rows + 1);
        if (withSchema)
        {
            entries.Add(TimelineEntry.Encode(timestamp, BenchMutations.Encode(new BenchMutations.CreateTable())));
        }

        for (int i = 0; i < rows; i++)
        {
            var row = new BenchMutations.InsertRow(rowsBefore + i + 1, BenchMutations.RowText);
            entries.Add(TimelineEntry.Encode(timestamp, BenchMutations.Encode(row)));
        }

        var range = LsnRange.Inclusive(first, new Lsn(first.Value + (ulong)entries.Count - 1));
        LsnRange held = coordinator.ReceiveTimeline(timeline, new JournalPartial(range, entries));
        Timing.Expect((long)held.Next.Value, (long)range.Next.Value, "received timeline next LSN");
    }
}
