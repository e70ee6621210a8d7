using System.Runtime.CompilerServices;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

/// <summary>
/// Storage messages shared by every link of a server. Clients that keep up all ask for the same entries
/// from the same LSN, so each run of entries is read from the journal once and, because the transport
/// encodes a <see cref="StorageEntriesMessage"/> only once, framed once — however many clients receive it.
/// </summary>
internal sealed class StorageMessageCache
{
    /// <summary>Recent messages kept per document; clients far behind simply read their own.</summary>
    private const int MaxMessagesPerDocument = 8;

    /// <summary>Entry bytes kept per document, beyond the message most recently added.</summary>
    private const long MaxBytesPerDocument = 4 << 20;

    // Keyed by the document object: it has one id, and a document reopened after a restart starts afresh.
    private readonly ConditionalWeakTable<CoordinatorDocument, DocumentMessages> _documents = new();

    /// <summary>
    /// The entries a client that holds storage up to <paramref name="clientStorage"/> lacks, at most about
    /// <paramref name="budget"/> bytes; null when it has everything.
    /// </summary>
    public StorageEntriesMessage? Get(CoordinatorDocument document, LsnRange clientStorage, long budget)
    {
        DocumentMessages messages = _documents.GetValue(document, static _ => new DocumentMessages());

        // Held while reading, so that links asking at once wait for the first read instead of repeating it.
        lock (messages)
        {
            Lsn from = clientStorage.Next;
            Lsn storageNext = document.StorageRange.Next;
            if (from >= storageNext)
            {
                return null;
            }

            long use = ++messages.Clock;
            foreach (CachedMessage cached in messages.List)
            {
                // A message that stopped at the budget stays right; one that reached the end is right until a step appends.
                if (cached.From == from && cached.Budget == budget &&
                    (cached.StoppedAtBudget || cached.Message.Entries.Range.Next == storageNext))
                {
                    cached.LastUse = use;
                    return cached.Message;
                }
            }

            (JournalPartial? partial, Lsn next) = document.PrepareStorageSyncWithEnd(clientStorage, budget);
            if (partial is null)
            {
                return null;
            }

            var message = new StorageEntriesMessage(document.DocumentId, document.ForWire(partial)); // page deltas where kept
            messages.Add(new CachedMessage(from, budget, partial.Range.Next < next, message, partial.ByteCount) { LastUse = use });
            return message;
        }
    }

    /// <summary>Drops the messages of a closed document at once (they would otherwise wait for a collection).</summary>
    public void Forget(CoordinatorDocument document) => _documents.Remove(document);

    private sealed class DocumentMessages
    {
        public List<CachedMessage> List { get; } = new();

        public long Clock { get; set; }

        public void Add(CachedMessage added)
        {
            List.Add(added);
            long bytes = List.Sum(m => m.Bytes);
            while (List.Count > 1 && (List.Count > MaxMessagesPerDocument || bytes - added.Bytes > MaxBytesPerDocument))
            {
                CachedMessage oldest = List.Where(m => m != added).MinBy(m => m.LastUse)!;
                List.Remove(oldest);
                bytes -= oldest.Bytes;
            }
        }
    }

    private sealed class CachedMessage(Lsn from, long budget, bool stoppedAtBudget, StorageEntriesMessage message, long bytes)
    {
        public Lsn From { get; } = from;

        public long Budget { get; } = budget;

        public bool StoppedAtBudget { get; } = stoppedAtBudget;

        public StorageEntriesMessage Message { get; } = message;

        public long Bytes { get; } = bytes;

        public long LastUse { get; set; }
    }
}
