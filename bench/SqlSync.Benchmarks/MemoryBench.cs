using SQLitePCL;
using SqlSync.Documents;

namespace SqlSync.Benchmarks;

/// <summary>Managed memory held by a local document (memory journals) with many pending single-row mutations.</summary>
internal static class MemoryBench
{
    public sealed record Footprint(int Mutations, long ManagedBytes, int PendingPages, long TimelineBytes, long NativeSqliteBytes)
    {
        public long PendingPageBytes => (long)PendingPages * 4096;

        public double BytesPerMutation => (double)ManagedBytes / Mutations;
    }

    public static Footprint Run(int mutations)
    {
        Timing.Settle();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        LocalDocument document = LocalMutateBench.OpenLocal(directory: null);
        document.Mutate(new BenchMutations.CreateTable());
        for (long id = 1; id <= mutations; id++)
        {
            document.Mutate(new BenchMutations.InsertRow(id, BenchMutations.RowText));
        }

        Timing.Settle();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        int pendingPages = document.Database.Storage.PendingPageCount;
        long timelineBytes = 0;
        var timeline = document.TimelineRange;
        for (ulong lsn = timeline.First.Value; lsn < timeline.Next.Value; lsn++)
        {
            timelineBytes += document.PrepareTimelineSync(Journals.LsnRange.EmptyAt(new Journals.Lsn(lsn)), 1)!.ByteCount;
        }

        long native = raw.sqlite3_memory_used();
        Timing.Expect(document.PendingMutationCount, mutations + 1, "pending mutations");
        GC.KeepAlive(document);
        document.Dispose();
        return new Footprint(mutations, after - before, pendingPages, timelineBytes, native);
    }
}
