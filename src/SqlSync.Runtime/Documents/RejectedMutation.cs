using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>A mutation the coordinator applied and rejected because its reducer threw.</summary>
/// <param name="Timeline">The timeline the mutation was made on.</param>
/// <param name="Lsn">Its LSN in that timeline.</param>
/// <param name="Error">The reducer's error, as the coordinator recorded it.</param>
public sealed record RejectedMutation(TimelineId Timeline, Lsn Lsn, string Error);
