using Orleans.Concurrency;

namespace SqlSync.Orleans;

/// <summary>
/// A connection's silo, as a document grain reaches it: signals only. What to send is pulled with
/// <see cref="IDocumentGrain.PollAsync"/>, so a slow client holds nothing in the grain (decision 0038).
/// </summary>
internal interface IDocumentObserver : IGrainObserver
{
    /// <summary>The document's storage grew: poll it.</summary>
    [OneWay]
    Task StorageChanged(string documentId);

    /// <summary>The grain let go of its links (it deactivates): the client opens the document again.</summary>
    [OneWay]
    Task LinksLost(string documentId);

    /// <summary>
    /// True while this connection has the document open on the grain activation <paramref name="activation"/>; false once
    /// it was refused, moved, or opened it on another activation. A grain drops the links that answer false or cannot be
    /// reached (<see cref="SqlSyncClusterOptions.LinkCheckInterval"/>).
    /// </summary>
    Task<bool> IsServedBy(string documentId, Guid activation);
}
