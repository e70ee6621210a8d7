using System.Runtime.InteropServices;
namespace SqlSync.Journals;

/// <summary>A journal held in memory: for tests, benchmarks and documents that need no durability.</summary>
/// <remarks>
/// Small entries are copied into shared 64 KiB chunks, not an array each: an append allocates nothing most
/// of the time, and the GC sees a few large arrays rather than one small object per entry. A chunk is
/// never written again where an entry was stored, so what <see cref="Read"/> returned stays valid.
/// </remarks>
internal sealed class MemoryJournal : IJournal
{
    private const int ChunkSize = 64 * 1024;
    private const int ChunkedEntryLimit = 4 * 1024;

    private readonly List<ReadOnlyMemory<byte>> _entries = new();
    private byte[]? _chunk;
    private int _chunkUsed;
    private int _dropped;
    private ulong _first;
    private bool _everAppended;
    private bool _disposed;

    /// <inheritdoc />
    public LsnRange Range
    {
        get
        {
            int count = _entries.Count - _dropped;
            Lsn first = new(_first + (ulong)_dropped);
            return count == 0 ? LsnRange.EmptyAt(first) : LsnRange.Inclusive(first, new Lsn(first.Value + (ulong)count - 1));
        }
    }

    /// <inheritdoc />
    public Lsn Append(ReadOnlySpan<byte> entry)
    {
        ThrowIfDisposed();
        ThrowIfTooLarge(entry.Length);
        Lsn lsn = Range.Next;
        _entries.Add(Store(entry));
        _everAppended = true;
        return lsn;
    }

    private ReadOnlyMemory<byte> Store(ReadOnlySpan<byte> entry)
    {
        if (entry.Length > ChunkedEntryLimit)
        {
            return entry.ToArray();
        }

        if (_chunk is null || ChunkSize - _chunkUsed < entry.Length)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(ChunkSize); // only the bytes copied in are ever read
            _chunkUsed = 0;
        }

        var stored = new ReadOnlyMemory<byte>(_chunk, _chunkUsed, entry.Length);
        entry.CopyTo(_chunk.AsSpan(_chunkUsed));
        _chunkUsed += entry.Length;
        return stored;
    }

    /// <inheritdoc />
    public void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry)
    {
        ThrowIfDisposed();
        StartOrContinueAt(lsn);
        Append(entry);
    }

    /// <summary>
    /// <see cref="AppendAt"/> that keeps <paramref name="entry"/>'s array instead of copying it when the
    /// memory is a whole array. The caller promises nobody writes to it again (a decoded message's entry).
    /// </summary>
    internal void AppendAtShared(Lsn lsn, ReadOnlyMemory<byte> entry)
    {
        if (!MemoryMarshal.TryGetArray(entry, out ArraySegment<byte> segment) || segment.Offset != 0 || segment.Count != segment.Array!.Length)
        {
            AppendAt(lsn, entry.Span);
            return;
        }

        ThrowIfDisposed();
        ThrowIfTooLarge(segment.Count);
        StartOrContinueAt(lsn);
        _entries.Add(segment.Array);
        _everAppended = true;
    }

    /// <summary>
    /// The limit of file journals holds here too, so that no journal keeps an entry no peer accepts
    /// (<see cref="Replication.ReplicationOptions.MaxEntryBytes"/> is at most this): a mutation whose record is larger
    /// is refused before it is journaled instead of wedging its client's uploads.
    /// </summary>
    private static void ThrowIfTooLarge(int length)
    {
        if (length > JournalFrame.MaxPayloadBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"A journal entry of {length} bytes is larger than the limit of {JournalFrame.MaxPayloadBytes} bytes.");
        }
    }

    /// <summary>An empty journal starts at <paramref name="lsn"/>; otherwise it must be the next LSN.</summary>
    private void StartOrContinueAt(Lsn lsn)
    {
        if (!_everAppended && _entries.Count == 0)
        {
            _first = lsn.Value;
            _dropped = 0;
        }
        else if (lsn != Range.Next)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                $"Cannot append LSN {lsn} to a memory journal whose next LSN is {Range.Next}.");
        }
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Read(Lsn lsn)
    {
        ThrowIfDisposed();
        if (!Range.Contains(lsn))
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                $"LSN {lsn} is not in the memory journal's range {Range}.");
        }

        return _entries[(int)(lsn.Value - _first)];
    }

    /// <inheritdoc />
    public void DropPrefix(Lsn last)
    {
        ThrowIfDisposed();
        LsnRange range = Range;
        if (range.IsEmpty || last < range.First)
        {
            return;
        }

        ulong upTo = Math.Min(last.Value, range.Last.Value);
        int newDropped = (int)(upTo - _first + 1);
        for (int i = _dropped; i < newDropped; i++)
        {
            _entries[i] = ReadOnlyMemory<byte>.Empty;
        }

        _dropped = newDropped;

        // Compact the list once most of it is dropped, so memory follows what is held.
        if (_dropped > 1024 && _dropped > _entries.Count / 2)
        {
            _entries.RemoveRange(0, _dropped);
            _first += (ulong)_dropped;
            _dropped = 0;
        }
    }

    /// <inheritdoc />
    public void Flush() => ThrowIfDisposed();

    /// <inheritdoc />
    public void Dispose() => _disposed = true;

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalClosed, "The memory journal was disposed.");
        }
    }
}
