using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// Syncs local documents with a coordinator in the same process, through the same prepare/receive calls
/// a network transport makes: for tests, examples and single-process apps.
/// </summary>
public static class DirectSync
{
    /// <summary>Sends the client's timeline entries the coordinator lacks. Returns how many were sent.</summary>
    public static int Upload(LocalDocument client, CoordinatorDocument coordinator, long maxBytesPerMessage = LocalDocument.DefaultMaxSyncBytes)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(coordinator);
        int sent = 0;
        LsnRange range = coordinator.GetTimelineRange(client.TimelineId);
        JournalPartial? partial;
        while ((partial = client.PrepareTimelineSync(range, maxBytesPerMessage)) is not null)
        {
            LsnRange after = coordinator.ReceiveTimeline(client.TimelineId, partial);
            sent += (int)partial.Range.Count;
            if (after.Next == range.Next)
            {
                break; // nothing taken: the coordinator reported a gap; the next upload starts from its range
            }

            range = after;
        }

        return sent;
    }

    /// <summary>Sends the coordinator's storage entries the client lacks, and the client rebases. Returns how many.</summary>
    public static int Download(LocalDocument client, CoordinatorDocument coordinator, long maxBytesPerMessage = LocalDocument.DefaultMaxSyncBytes)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(coordinator);
        int received = 0;
        JournalPartial? partial;
        while ((partial = coordinator.PrepareStorageSync(client.StorageRange, maxBytesPerMessage)) is not null)
        {
            client.ReceiveStorage(partial);
            received += (int)partial.Range.Count;
        }

        return received;
    }

    /// <summary>Upload, let the coordinator apply everything it has, then download and rebase.</summary>
    public static void Sync(LocalDocument client, CoordinatorDocument coordinator)
    {
        Upload(client, coordinator);
        coordinator.StepAll();
        Download(client, coordinator);
    }
}
