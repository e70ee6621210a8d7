namespace SqlSync.Transport;

/// <summary>A document's sync status as a <see cref="SqlSyncClient"/> sees it, with the reason when there is one.</summary>
/// <param name="DocumentId">The document.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Reason">Why, for <see cref="DocumentSyncStatus.Refused"/>, <see cref="DocumentSyncStatus.Rejected"/> and a
/// <see cref="DocumentSyncStatus.ReadOnly"/> document with local mutations; otherwise null.</param>
public sealed record DocumentSyncState(string DocumentId, DocumentSyncStatus Status, string? Reason = null);
