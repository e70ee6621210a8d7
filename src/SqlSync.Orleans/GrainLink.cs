using SqlSync.Replication;

namespace SqlSync.Orleans;

/// <summary>A connection's link on a document grain: the protocol state of that client for this document, and its silo.</summary>
internal sealed record GrainLink(ServerLink Link, IDocumentObserver Observer);
