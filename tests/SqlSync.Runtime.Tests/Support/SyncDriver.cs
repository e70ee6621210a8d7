using SqlSync.Documents;
using SqlSync.Journals;

namespace SqlSync.Runtime.Tests.Support;

/// <summary>Moves journals between local documents and a coordinator in one process, as the network layer would.</summary>
public static class SyncDriver
{
    /// <summary>Uploads the client's timeline (everything the coordinator lacks).</summary>
    public static void Upload(LocalDocument client, CoordinatorDocument coordinator, long maxBytes = LocalDocument.DefaultMaxSyncBytes)
    {
        LsnRange range = coordinator.GetTimelineRange(client.TimelineId);
        JournalPartial? partial;
        while ((partial = client.PrepareTimelineSync(range, maxBytes)) is not null)
        {
            LsnRange after = coordinator.ReceiveTimeline(client.TimelineId, partial);
            if (after.Next == range.Next)
            {
                break;
            }

            range = after;
        }
    }

    /// <summary>Downloads the coordinator's storage into the client and rebases.</summary>
    public static void Download(LocalDocument client, CoordinatorDocument coordinator, long maxBytes = LocalDocument.DefaultMaxSyncBytes)
    {
        JournalPartial? partial;
        while ((partial = coordinator.PrepareStorageSync(client.StorageRange, maxBytes)) is not null)
        {
            client.ReceiveStorage(partial);
        }
    }

    /// <summary>Upload, apply everything, download.</summary>
    public static void Full(LocalDocument client, CoordinatorDocument coordinator)
    {
        Upload(client, coordinator);
        coordinator.StepAll();
        Download(client, coordinator);
    }
}
