using SqlSync.Documents;

namespace SqlSync.Transport;

/// <summary>
/// What <see cref="SqlSyncClient.WaitUntilSyncedAsync"/> found: every local mutation made before the call was applied by
/// the server and the document rebased on it; <see cref="Rejections"/> lists those the server rejected (their effects are gone).
/// </summary>
/// <param name="DocumentId">The document.</param>
/// <param name="Rejections">The rejected mutations among those the wait covered, by LSN; empty when all were applied.</param>
public sealed record SyncResult(string DocumentId, IReadOnlyList<RejectedMutation> Rejections)
{
    /// <summary>True when the server applied every mutation the wait covered (none was rejected).</summary>
    public bool AllApplied => Rejections.Count == 0;
}
