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

    /// <summary>
    /// True when the store is the document's durable home and its directory only a cache (decision 0037): checkpoints
    /// and notes are then written through the store. False for files, whose directory is the store.
    /// </summary>
    bool KeepsCheckpoints { get; }

    /// <summary>The LSNs of the checkpoints the store holds, newest first (one listing of the checkpoints alone).</summary>
    IReadOnlyList<Lsn> Checkpoints();

    /// <summary>
    /// Stores the checkpoint file at <paramref name="path"/> as the one at <paramref name="lsn"/>, created only if
    /// that name is free: a checkpoint at an LSN already held is the same pages (a second writer's, or a retry), kept.
    /// </summary>
    void PutCheckpoint(Lsn lsn, string path);

    /// <summary>Copies the checkpoint at <paramref name="lsn"/> to the new file <paramref name="path"/>; false when the store has none there.</summary>
    bool GetCheckpoint(Lsn lsn, string path);

    /// <summary>Deletes the checkpoint at <paramref name="lsn"/> (nothing when it is gone).</summary>
    void DeleteCheckpoint(Lsn lsn);

    /// <summary>The small note <paramref name="name"/> (timeline owners, the in-flight note), or null when there is none.</summary>
    byte[]? ReadNote(string name);

    /// <summary>Replaces the note <paramref name="name"/> whole: a reader sees the old bytes or the new, never a mix.</summary>
    void WriteNote(string name, ReadOnlySpan<byte> bytes);
}
