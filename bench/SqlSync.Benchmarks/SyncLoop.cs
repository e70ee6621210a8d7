using SqlSync.Documents;
using SqlSync.Journals;

namespace SqlSync.Benchmarks;

/// <summary>Moves journals between local documents and a coordinator in one process, as the network layer would.</summary>
internal static class SyncLoop
{
    public static void Upload(LocalDocument client, CoordinatorDocument coordinator)
    {
        LsnRange range = coordinator.GetTimelineRange(client.TimelineId);
        JournalPartial? partial;
        while ((partial = client.PrepareTimelineSync(range)) is not null)
        {
            LsnRange after = coordinator.ReceiveTimeline(client.TimelineId, partial);
            if (after.Next == range.Next)
            {
                break;
            }

            range = after;
        }
    }

    public static void Download(LocalDocument client, CoordinatorDocument coordinator)
    {
        JournalPartial? partial;
        while ((partial = coordinator.PrepareStorageSync(client.StorageRange)) is not null)
        {
            client.ReceiveStorage(partial);
        }
    }
}
