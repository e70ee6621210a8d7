using SqlSync.Replication;

namespace SqlSync.Orleans;

/// <summary>
/// A connection's link on a document grain: the protocol state of that client for this document, its silo, and when it
/// was opened (a link is asked whether it is still in use only once it is older than the check interval).
/// </summary>
internal sealed record GrainLink(ServerLink Link, IDocumentObserver Observer, long OpenedAt);
