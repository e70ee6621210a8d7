namespace SqlSync.Journals;

/// <summary>
/// Where one document's journals live (decision 0031): files under its directory (<see cref="FileJournalStore"/>, the
/// default), memory (<see cref="MemoryJournalStore"/>) or an object store (SqlSync.Storage.Azure). A journal is named
/// by a relative path with '/' separators: <c>storage</c>, <c>timeline</c>, <c>timelines/{id}</c>.
/// </summary>
/// <remarks>
/// Fencing: two writers of one journal can never both extend it. A store either refuses the second writer at
/// <see cref="Open"/> (files: the lock file) or refuses the loser's append of an LSN that already exists with
/// <see cref="SqlSyncErrorCode.JournalFenced"/> (memory, object stores: a conditional create).
/// </remarks>
internal interface IJournalStore
{
    /// <summary>
    /// True when an append is durable only after <see cref="IJournal.Flush"/> of a journal opened with
    /// <c>batched: true</c>: the document then flushes each upload before it is acknowledged, as it does with fsync.
    /// </summary>
    bool FlushBeforeAcknowledge { get; }

    /// <summary>
    /// Opens (or creates) the journal <paramref name="name"/> for writing. A <paramref name="batched"/> journal
    /// may hold appends until <see cref="IJournal.Flush"/> (group commit); otherwise each append is durable when
    /// <paramref name="fsyncOnAppend"/> is set (a file store) or always (an object store).
    /// </summary>
    IJournal Open(string name, bool batched, bool fsyncOnAppend, long segmentSizeBytes);

    /// <summary>Opens the journal <paramref name="name"/> to read it only (tools, concurrent readers).</summary>
    IJournal OpenReadOnly(string name);

    /// <summary>The names (last part only) of the journals directly under <paramref name="name"/>, in ordinal order.</summary>
    IReadOnlyList<string> Children(string name);
}
