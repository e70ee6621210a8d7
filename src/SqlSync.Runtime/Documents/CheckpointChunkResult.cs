using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// What a local document did with a checkpoint slice: it holds <see cref="Received"/> bytes of it, or (when
/// <see cref="Installed"/> is set) it installed the whole checkpoint and now holds that storage range.
/// </summary>
internal readonly record struct CheckpointChunkResult(long Received, LsnRange? Installed);
