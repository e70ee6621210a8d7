using SqlSync.Documents;
using SqlSync.Journals;

namespace SqlSync.Benchmarks;

/// <summary>
/// Rebase cost against the pending-mutation count: client A holds N pending single-row INSERTs; client B's
/// single-row INSERT is applied by the coordinator; A's <c>ReceiveStorage</c> of that one new storage entry
/// (append, make visible, drop local pages, re-apply N mutations) is timed. A never uploads, so each round
/// rebases the same N mutations over one more coordinator entry.
/// </summary>
internal static class RebaseBench
{
    public static Samples Run(int pending, int warmupRounds, int rounds)
    {
        var samples = new Samples();
        using CoordinatorDocument coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = "bench",
            Reducer = BenchMutations.Reducer,
        });
        using LocalDocument a = LocalMutateBench.OpenLocal(directory: null);
        using LocalDocument b = LocalMutateBench.OpenLocal(directory: null);
        b.Mutate(new BenchMutations.CreateTable());
        SyncLoop.Upload(b, coordinator);
        coordinator.StepAll();
        SyncLoop.Download(a, coordinator);
        for (long id = 1; id <= pending; id++)
        {
            a.Mutate(new BenchMutations.InsertRow(id, BenchMutations.RowText));
        }

        for (int round = 0; round < warmupRounds + rounds; round++)
        {
            b.Mutate(new BenchMutations.InsertRow(-1 - round, BenchMutations.RowText));
            SyncLoop.Upload(b, coordinator);
            coordinator.StepAll();
            JournalPartial partial = coordinator.PrepareStorageSync(a.StorageRange)
                ?? throw new InvalidOperationException("The coordinator has no new storage entry.");
            Timing.Expect((long)partial.Range.Count, 1, "new storage entries per rebase");
            Timing.Settle();

            double start = Timing.Now();
            a.ReceiveStorage(partial);
            double milliseconds = (Timing.Now() - start) * 1000;

            Timing.Expect(a.PendingMutationCount, pending, "pending mutations after rebase");
            if (round >= warmupRounds)
            {
                samples.Add(milliseconds);
            }
        }

        Timing.Expect(a.QueryScalar<long>("SELECT count(*) FROM t"), pending + warmupRounds + rounds, "rows after rebase");
        return samples;
    }
}
