using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// What a local document did with a checkpoint slice: it holds <see cref="Received"/> bytes of it, or (when
/// <see cref="Installed"/> is set) it installed the whole checkpoint and now holds that storage range.
/// </summary>
internal readonly record struct CheckpointChunkResult(long Received, LsnRange? Installed)
{
    /// <summary>
    /// The whole file arrived and failed validation: it was deleted (<see cref="Received"/> is 0) and
    /// <see cref="Error"/> says why; the server is told, so it checks its copy (decision 0027).
    /// </summary>
    public bool Corrupt => Error is not null;

    /// <summary>Why the downloaded checkpoint failed validation (<see cref="SqlSyncErrorCode.CheckpointCorrupt"/>, naming the file), or null.</summary>
    public SqlSyncException? Error { get; init; }
}
