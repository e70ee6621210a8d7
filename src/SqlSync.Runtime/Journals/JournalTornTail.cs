namespace SqlSync.Journals;

/// <summary>
/// A torn tail found at the end of a journal's last segment when it was opened: the remains of an append cut
/// short (by a crash, or a write that failed half-way), never acknowledged. <see cref="FileJournal.Open"/>
/// cuts it; <see cref="FileJournal.OpenReadOnly"/> leaves it in place and only reports it.
/// </summary>
/// <param name="SegmentPath">The full path of the segment file that ends with the torn frame.</param>
/// <param name="Lsn">The LSN the torn frame would have had (the journal's next LSN).</param>
/// <param name="Offset">The byte offset in the segment where the torn frame starts.</param>
/// <param name="Bytes">How many bytes follow the last whole frame.</param>
internal sealed record JournalTornTail(string SegmentPath, Lsn Lsn, long Offset, long Bytes);
