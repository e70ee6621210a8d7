using SqlSync.Journals;
using SqlSync.Replication;

namespace SqlSync.Storage;

/// <summary>
/// The coordinator's recent page deltas (<see cref="PageDelta"/>), by LSN, LZ4-compressed and bounded in bytes: the
/// oldest go first. Each is made at commit against the view one LSN before, which is exactly what a replica holds
/// when it applies that LSN, whether it got there entry by entry or from a checkpoint, so the log never has to know
/// which replica holds what. An LSN not here (older, or before a restart) simply goes as full pages.
/// </summary>
internal sealed class PageDeltaLog
{
    private readonly Dictionary<Lsn, Compressed> _deltas = new();
    private readonly Queue<Lsn> _order = new();
    private readonly long _maxBytes;
    private long _bytes;

    /// <summary>A log of at most <paramref name="maxBytes"/> compressed bytes; a delta above a quarter of that is not kept.</summary>
    public PageDeltaLog(long maxBytes)
    {
        _maxBytes = maxBytes;
    }

    /// <summary>How many deltas are kept.</summary>
    public int Count
    {
        get
        {
            lock (_deltas)
            {
                return _deltas.Count;
            }
        }
    }

    /// <summary>The compressed bytes kept.</summary>
    public long Bytes
    {
        get
        {
            lock (_deltas)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Keeps the delta of the entry at <paramref name="lsn"/>.</summary>
    public void Add(Lsn lsn, byte[] delta)
    {
        byte[] block = EntryCompression.CompressBlock(delta) ?? delta;
        if (block.Length > _maxBytes / 4)
        {
            return; // a step of many pages: its delta would push out hundreds of small ones
        }

        lock (_deltas)
        {
            if (!_deltas.TryAdd(lsn, new Compressed(block, delta.Length)))
            {
                return;
            }

            _order.Enqueue(lsn);
            _bytes += block.Length;
            while (_bytes > _maxBytes && _order.TryDequeue(out Lsn oldest))
            {
                _deltas.Remove(oldest, out Compressed? dropped);
                _bytes -= dropped!.Block.Length;
            }
        }
    }

    /// <summary>The delta of the entry at <paramref name="lsn"/>, or null when it is not kept.</summary>
    public byte[]? Get(Lsn lsn)
    {
        Compressed? kept;
        lock (_deltas)
        {
            if (!_deltas.TryGetValue(lsn, out kept))
            {
                return null;
            }
        }

        return kept.Block.Length == kept.RawLength ? kept.Block : EntryCompression.DecompressBlock(kept.Block, kept.RawLength);
    }

    /// <summary>
    /// <paramref name="partial"/> with every entry whose delta is kept replaced by that delta (what the wire carries);
    /// the others stay full.
    /// </summary>
    public JournalPartial Substitute(JournalPartial partial)
    {
        var entries = new ReadOnlyMemory<byte>[partial.Entries.Count];
        bool any = false;
        for (int i = 0; i < entries.Length; i++)
        {
            byte[]? delta = Get(new Lsn(partial.Range.First.Value + (ulong)i));
            any |= delta is not null;
            entries[i] = delta ?? partial.Entries[i];
        }

        return any ? new JournalPartial(partial.Range, entries) : partial;
    }

    private sealed record Compressed(byte[] Block, int RawLength);
}
