using Microsoft.Extensions.Logging;

namespace SqlSync.Server;

/// <summary>
/// Journals in a store (decision 0037): documents the store holds exist even on an empty disk, and a document fenced by
/// another coordinator is closed at once, so the next use opens it again from the store, with the winner's history.
/// </summary>
internal sealed partial class CoordinatorHost
{
    /// <summary>
    /// Removes <paramref name="hosted"/> from the open documents (the next open of its id loads it again) and closes it
    /// once the step or call holding its gate is done. Links that had it open are told when they next use it.
    /// </summary>
    private void Evict(HostedDocument hosted, string why)
    {
        lock (_lifecycle)
        {
            if (Volatile.Read(ref _disposed) == 1 || !_documents.TryGetValue(hosted.DocumentId, out HostedDocument? current) || current != hosted)
            {
                return;
            }

            _documents.Remove(hosted.DocumentId);
            Metrics.DocumentsFenced.Add(1);
            _logger.LogWarning("Document {DocumentId}: {Why}; it is closed and opened again from the store at its next use.", hosted.DocumentId, why);
            Task close = Task.Run(async () =>
            {
                await hosted.Gate.WaitAsync().ConfigureAwait(false); // the step or call that was fenced ends first
                await CloseAsync(hosted, why).ConfigureAwait(false);
                StorageChanged?.Invoke(hosted.DocumentId); // its links poll, find it closed, and tell their clients to reopen it
            });
            TrackClose(hosted.DocumentId, close);
        }
    }

    /// <summary>
    /// Whether the journal store holds <paramref name="documentId"/> (a server on an empty disk serves the documents
    /// its clients hold); remembered once true. Asked outside the host's lock: it is a request. A store that cannot
    /// answer counts as holding it, so the open that follows fails with the store's error instead of a wrong refusal.
    /// </summary>
    private bool ExistsInStore(string documentId)
    {
        if (_options.JournalStores is not { } stores)
        {
            return false;
        }

        bool exists;
        try
        {
            exists = stores.Exists(documentId);
        }
        catch (SqlSyncException ex)
        {
            _logger.LogWarning("Document {DocumentId}: the journal store could not say whether it exists ({Error}); the open will tell.", documentId, ex.Message);
            return true;
        }

        if (exists)
        {
            lock (_lifecycle)
            {
                OnDisk().TryAdd(documentId, documentId);
            }
        }

        return exists;
    }
}
