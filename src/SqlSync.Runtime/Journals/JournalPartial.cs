namespace SqlSync.Journals;

/// <summary>
/// A contiguous run of a journal's entries, as one side of a sync sends them (the seed's
/// <c>sync_prepare</c> → <c>sync_receive</c>). <see cref="Range"/> names the LSNs of <see cref="Entries"/>.
/// </summary>
internal sealed class JournalPartial
{
    /// <summary>Creates a partial; the entry count must equal the range's.</summary>
    public JournalPartial(LsnRange range, IReadOnlyList<ReadOnlyMemory<byte>> entries)
    {
        if ((ulong)entries.Count != range.Count)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"A journal partial for range {range} must hold {range.Count} entries, not {entries.Count}.");
        }

        Range = range;
        Entries = entries;
    }

    /// <summary>The LSNs carried.</summary>
    public LsnRange Range { get; }

    /// <summary>The entries, in LSN order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Entries { get; }

    /// <summary>Total payload bytes.</summary>
    public long ByteCount
    {
        get
        {
            long total = 0;
            foreach (ReadOnlyMemory<byte> entry in Entries)
            {
                total += entry.Length;
            }

            return total;
        }
    }

    /// <summary>
    /// Reads the entries of <paramref name="journal"/> from <paramref name="from"/> on, stopping before the
    /// entry that would take the total past <paramref name="maxBytes"/> (at least one entry is always taken,
    /// so a large entry still moves). Returns null when there is nothing at or after <paramref name="from"/>.
    /// </summary>
    public static JournalPartial? Read(IJournal journal, Lsn from, long maxBytes, Lsn? before = null)
    {
        LsnRange range = journal.Range;
        Lsn end = before is Lsn bound && bound < range.Next ? bound : range.Next;
        if (from < range.First)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                $"Entries from LSN {from} were requested but the journal starts at {range.First}.");
        }

        if (from >= end)
        {
            return null;
        }

        var entries = new List<ReadOnlyMemory<byte>>();
        long bytes = 0;
        for (ulong lsn = from.Value; lsn < end.Value; lsn++)
        {
            ReadOnlyMemory<byte> entry = journal.Read(new Lsn(lsn));
            if (entries.Count > 0 && bytes + entry.Length > maxBytes)
            {
                break;
            }

            entries.Add(entry);
            bytes += entry.Length;
        }

        return new JournalPartial(LsnRange.Inclusive(from, new Lsn(from.Value + (ulong)entries.Count - 1)), entries);
    }
}
