namespace SqlSync.Journals;

/// <summary>
/// An append-only sequence of opaque entries, each named by a dense <see cref="Lsn"/>. A prefix can be
/// dropped; numbering never changes. Implementations: <see cref="MemoryJournal"/> and <see cref="FileJournal"/> (durable segment files).
/// Not thread-safe: the document that owns a journal serializes access to it.
/// </summary>
internal interface IJournal : IDisposable
{
    /// <summary>The LSNs this journal holds now; when empty, <see cref="LsnRange.Next"/> is still right.</summary>
    LsnRange Range { get; }

    /// <summary>Appends one entry and returns its LSN (<c>Range.Next</c> before the call).</summary>
    Lsn Append(ReadOnlySpan<byte> entry);

    /// <summary>
    /// Appends an entry at a known LSN, as a replica does when it copies another journal. The LSN must be
    /// <c>Range.Next</c>, except on a journal that has never held an entry, which may start anywhere.
    /// </summary>
    void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry);

    /// <summary>Reads the entry at <paramref name="lsn"/>. Throws <see cref="SqlSyncException"/>
    /// (<see cref="SqlSyncErrorCode.JournalOutOfRange"/>) when the journal does not hold it.</summary>
    ReadOnlyMemory<byte> Read(Lsn lsn);

    /// <summary>Drops every entry up to and including <paramref name="last"/>. Numbering is kept.</summary>
    void DropPrefix(Lsn last);

    /// <summary>Makes every appended entry durable (a no-op for memory journals).</summary>
    void Flush();
}
