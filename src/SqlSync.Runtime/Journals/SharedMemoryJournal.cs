namespace SqlSync.Journals;

/// <summary>
/// One handle on a journal of a <see cref="MemoryJournalStore"/>. The entries live in a shared
/// <see cref="Backing"/>; the handle remembers the next LSN it expects, so a stale handle's append of an LSN
/// another one already wrote fails with <see cref="SqlSyncErrorCode.JournalFenced"/>, as a conditional create would.
/// </summary>
internal sealed class SharedMemoryJournal : IJournal
{
    private readonly MemoryJournalStore _store;
    private readonly string _name;
    private readonly Backing _backing;
    private readonly bool _readOnly;
    private Lsn _next;
    private bool _disposed;

    public SharedMemoryJournal(MemoryJournalStore store, string name, Backing backing, bool readOnly)
    {
        _store = store;
        _name = name;
        _backing = backing;
        _readOnly = readOnly;
        lock (backing.Sync)
        {
            _next = backing.Journal.Range.Next;
        }
    }

    /// <summary>The entries every handle of one journal shares, and the lock that orders them.</summary>
    internal sealed class Backing
    {
        public object Sync { get; } = new();

        public MemoryJournal Journal { get; } = new();

        /// <summary>Whether any entry was ever appended (an empty journal may start at any LSN once).</summary>
        public bool Started { get; set; }
    }

    /// <inheritdoc />
    public LsnRange Range
    {
        get
        {
            ThrowIfDisposed();
            lock (_backing.Sync)
            {
                return _backing.Journal.Range;
            }
        }
    }

    /// <inheritdoc />
    public Lsn Append(ReadOnlySpan<byte> entry)
    {
        Lsn lsn = _next;
        AppendAt(lsn, entry);
        return lsn;
    }

    /// <inheritdoc />
    public void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalReadOnly, $"The {_name} journal was opened read-only.");
        }

        if (_store.WritesFail)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo, $"The {_name} journal could not append LSN {lsn}: an injected write failure.");
        }

        lock (_backing.Sync)
        {
            LsnRange range = _backing.Journal.Range;
            if (_backing.Started && lsn == _next && lsn < range.Next)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalFenced,
                    $"LSN {lsn} of the {_name} journal was already written by another writer: this one is fenced and must stop.");
            }

            if (_backing.Started && lsn != _next)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                    $"Cannot append LSN {lsn} to the {_name} journal whose next LSN is {_next}.");
            }

            _backing.Journal.AppendAt(lsn, entry);
            _backing.Started = true;
            _next = lsn.Next;
        }
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Read(Lsn lsn)
    {
        ThrowIfDisposed();
        lock (_backing.Sync)
        {
            return _backing.Journal.Read(lsn);
        }
    }

    /// <inheritdoc />
    public void DropPrefix(Lsn last)
    {
        ThrowIfDisposed();
        lock (_backing.Sync)
        {
            _backing.Journal.DropPrefix(last);
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
            throw new SqlSyncException(SqlSyncErrorCode.JournalClosed, $"The {_name} journal was disposed.");
        }
    }
}
