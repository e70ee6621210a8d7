namespace SqlSync.Orleans;

/// <summary>
/// One document's coordinator in the cluster (the key is the document id). Each silo that holds a client's
/// connection keeps a link on the grain per document the client opened; protocol frames go through it
/// (SyncMessageCodec bytes: the grain never sees a socket). Calls of one document's link come in order from
/// the connection's lane (decision 0038).
/// </summary>
internal interface IDocumentGrain : IGrainWithStringKey
{
    /// <summary>Opens (or opens again) the document for a connection: a link on the grain that <paramref name="observer"/> hears from.</summary>
    Task<RelayReply> OpenAsync(RelayOpen open, IDocumentObserver observer);

    /// <summary>Applies a client message the connection's silo accepted (timeline entries, acks).</summary>
    Task<RelayReply> ReceiveAsync(Guid connection, byte[] frame);

    /// <summary>The storage the connection's client lacks, within its window (decision 0030).</summary>
    Task<RelayReply> PollAsync(Guid connection);

    /// <summary>The connection ended: its link goes.</summary>
    Task DetachAsync(Guid connection);
}
