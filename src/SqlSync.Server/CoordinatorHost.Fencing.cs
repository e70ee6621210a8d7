using Microsoft.Extensions.Logging;

namespace SqlSync.Server;

/// <summary>
/// A document fenced by another coordinator (decision 0037): the host stops serving this copy at once and closes it,
/// so the next use opens it again from the store, with the winner's history.
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
            });
            TrackClose(hosted.DocumentId, close);
        }
    }
}
