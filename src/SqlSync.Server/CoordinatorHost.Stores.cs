using Microsoft.Extensions.Logging;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>
/// Journals in a store (decision 0037): documents the store holds exist even on an empty disk, and a document fenced by
/// another coordinator is closed at once, so the next use opens it again from the store, with the winner's history.
/// </summary>
internal sealed partial class CoordinatorHost
{
    /// <summary>
    /// Removes <paramref name="hosted"/>, fenced by <paramref name="error"/>, from the open documents (the next open of its
    /// id loads it again from the store) and closes it once the step or call holding its gate is done; then lets the
    /// callers that waited on its gate through, to find it evicted and take the current copy. Its links are told at
    /// their next poll (raised after the close). Logged once per fence: the document itself does not warn.
    /// </summary>
    private void Evict(HostedDocument hosted, SqlSyncException error)
    {
        lock (_lifecycle)
        {
            hosted.Evicted = true; // under the lock, so a caller that takes the gate after the close sees it
            if (Volatile.Read(ref _disposed) == 1 || !_documents.TryGetValue(hosted.DocumentId, out HostedDocument? current) || current != hosted)
            {
                return;
            }

            _documents.Remove(hosted.DocumentId);
            Metrics.DocumentsFenced.Add(1);
            _logger.LogWarning("Document {DocumentId}: another coordinator took it over ({Cause}); it is closed here and opened again from the store at its next use.",
                hosted.DocumentId, error.InnerException?.Message ?? error.Message);
            Task close = Task.Run(async () =>
            {
                await hosted.Gate.WaitAsync().ConfigureAwait(false); // the step or call that was fenced ends first
                await CloseAsync(hosted, "another coordinator took it over").ConfigureAwait(false);
                hosted.Gate.Release(); // leases that waited on it see it evicted and move to the current copy
                StorageChanged?.Invoke(hosted.DocumentId); // its links poll, find it closed, and tell their clients to reopen it
            });
            TrackClose(hosted.DocumentId, close);
        }
    }

    /// <summary>
    /// The refusal for an open that was fenced (<see cref="OpenFailed"/>): counted and logged by the first of its callers
    /// only, as <see cref="Evict"/> does for an open copy. The failed open is dropped when its last caller lets go.
    /// </summary>
    private SqlSyncException FencedAtOpen(HostedDocument hosted, SqlSyncException error)
    {
        lock (_lifecycle)
        {
            if (!hosted.Evicted)
            {
                hosted.Evicted = true;
                Metrics.DocumentsFenced.Add(1);
                _logger.LogWarning("Document {DocumentId}: another coordinator took it over while it opened ({Cause}); it is opened again from the store at its next use.",
                    hosted.DocumentId, error.Message);
            }
        }

        return ServerLink.ClosedUnder(hosted.DocumentId);
    }

    /// <summary>Whether <paramref name="hosted"/> was fenced and evicted (a caller holding its gate then takes the current copy).</summary>
    private bool IsEvicted(HostedDocument hosted)
    {
        lock (_lifecycle)
        {
            return hosted.Evicted;
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
