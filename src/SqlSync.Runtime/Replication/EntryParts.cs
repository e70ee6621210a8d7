using SqlSync.Journals;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

/// <summary>
/// The sending side of entry parts: a run of entries whose only entry is larger than a message's entry budget
/// goes as parts of at most the budget each (less the frame's own bytes), which refer to slices of the entry (nothing is copied before each
/// part is encoded, one at a time, as the transport sends it).
/// </summary>
internal static class EntryParts
{
    /// <summary>True when <paramref name="partial"/> must go as parts: one entry over <paramref name="budget"/>.</summary>
    public static bool Needed(JournalPartial partial, long budget) =>
        partial.Entries.Count == 1 && partial.Entries[0].Length > budget;

    /// <summary>Adds the parts of the only entry of <paramref name="partial"/> to <paramref name="messages"/>.</summary>
    public static void Add<T>(List<SyncMessage> messages, JournalPartial partial, long budget, Func<Lsn, int, int, ReadOnlyMemory<byte>, T> create)
        where T : EntryPartMessage
    {
        ReadOnlyMemory<byte> entry = partial.Entries[0];

        // Under a budget of a few KiB or more, a part leaves room for its frame's own bytes, so that the whole frame is at
        // most the budget: a default part's frame then fits the 1 MiB array it is sent from and received into (decision 0043).
        long room = budget > 8 * SyncMessageCodec.MaxPartOverhead ? budget - SyncMessageCodec.MaxPartOverhead : budget;
        int partBytes = (int)Math.Clamp(room, 1, int.MaxValue);
        for (int offset = 0; offset < entry.Length; offset += partBytes)
        {
            messages.Add(create(partial.Range.First, entry.Length, offset, entry.Slice(offset, Math.Min(partBytes, entry.Length - offset))));
        }
    }
}
