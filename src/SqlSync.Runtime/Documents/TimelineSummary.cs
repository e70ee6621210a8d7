using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>One timeline as a document directory holds it.</summary>
/// <param name="Timeline">The timeline's id.</param>
/// <param name="Range">The entries the journal holds (applied ones may have been dropped).</param>
/// <param name="AppliedLsn">The last LSN the coordinator applied, as the document's storage records it; null if none.</param>
/// <param name="Rejected">How many of its mutations the coordinator rejected.</param>
internal sealed record TimelineSummary(TimelineId Timeline, LsnRange Range, Lsn? AppliedLsn, int Rejected);
