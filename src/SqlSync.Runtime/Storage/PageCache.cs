namespace SqlSync.Storage;

/// <summary>
/// A bounded cache of checkpoint pages for the committed view, evicting by CLOCK (second chance): a hit sets
/// the page's bit, the hand clears bits until it finds a page without one. Thread-safe: reader connections
/// and the checkpoint writer read beside the document's thread. An evicted array is dropped, never reused, so
/// a span handed out earlier stays valid while its reader copies from it.
/// </summary>
internal sealed class PageCache
{
    /// <summary>The default bound of a file-backed document's page cache: 64 MiB.</summary>
    public const long DefaultBytes = 64L * 1024 * 1024;

    private readonly object _lock = new();
    private readonly Dictionary<uint, int> _slotOf = new();
    // Grown as pages arrive, up to Capacity: a bound of "as much as it takes" (long.MaxValue) must not allocate it at open.
    private uint[] _pageIn = new uint[InitialSlots];
    private byte[]?[] _bytesIn = new byte[]?[InitialSlots];
    private bool[] _referenced = new bool[InitialSlots];
    private readonly Stack<int> _free = new();
    private int _used;
    private int _hand;

    /// <summary>A cache holding at most <paramref name="capacityBytes"/> of pages (at least one page).</summary>
    public PageCache(long capacityBytes)
    {
        Capacity = (int)Math.Clamp(capacityBytes / StorageFormat.PageSize, 1, int.MaxValue / 2);
    }

    private const int InitialSlots = 64;

    /// <summary>How many pages the cache holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Pages held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _slotOf.Count;
        }
    }

    /// <summary>Reads answered from the cache, and reads that went to the file (for benchmarks).</summary>
    public long Hits { get; private set; }

    public long Misses { get; private set; }

    /// <summary>True when <paramref name="page"/> is held (neither a hit nor a miss: a read ahead asks before it adds).</summary>
    public bool Contains(uint page)
    {
        lock (_lock) return _slotOf.ContainsKey(page);
    }

    public bool TryGet(uint page, out byte[] bytes)
    {
        lock (_lock)
        {
            if (_slotOf.TryGetValue(page, out int slot))
            {
                _referenced[slot] = true;
                bytes = _bytesIn[slot]!;
                Hits++;
                return true;
            }

            Misses++;
            bytes = null!;
            return false;
        }
    }

    /// <summary>Puts <paramref name="bytes"/> (never written again by anyone) in as page <paramref name="page"/>, evicting one page when full.</summary>
    public void Add(uint page, byte[] bytes)
    {
        lock (_lock)
        {
            if (_slotOf.TryGetValue(page, out int existing))
            {
                _bytesIn[existing] = bytes;
                return;
            }

            int slot = _free.Count > 0 ? _free.Pop() : _used < Capacity ? NewSlot() : Evict();
            _pageIn[slot] = page;
            _bytesIn[slot] = bytes;
            _referenced[slot] = false;
            _slotOf[page] = slot;
        }
    }

    public void Remove(uint page)
    {
        lock (_lock)
        {
            if (_slotOf.Remove(page, out int slot))
            {
                _bytesIn[slot] = null;
                _free.Push(slot);
            }
        }
    }

    /// <summary>Drops every page numbered above <paramref name="limit"/> (after a truncation or a switch of checkpoint).</summary>
    public void RemoveAbove(uint limit)
    {
        lock (_lock)
        {
            foreach (uint page in _slotOf.Keys.Where(p => p > limit).ToList())
            {
                Remove(page);
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _slotOf.Clear();
            _free.Clear();
            Array.Clear(_bytesIn);
            _used = 0;
            _hand = 0;
        }
    }

    /// <summary>The next never-used slot, growing the arrays (doubling, at most to <see cref="Capacity"/>) when they are full.</summary>
    private int NewSlot()
    {
        if (_used == _pageIn.Length)
        {
            int length = (int)Math.Min(Capacity, (long)_pageIn.Length * 2);
            Array.Resize(ref _pageIn, length);
            Array.Resize(ref _bytesIn, length);
            Array.Resize(ref _referenced, length);
        }

        return _used++;
    }

    private int Evict()
    {
        while (true)
        {
            int slot = _hand;
            _hand = (_hand + 1) % Capacity;
            if (_bytesIn[slot] is null)
            {
                continue; // a freed slot sits on the free stack; never here when the stack is empty
            }

            if (_referenced[slot])
            {
                _referenced[slot] = false;
                continue;
            }

            _slotOf.Remove(_pageIn[slot]);
            _bytesIn[slot] = null;
            return slot;
        }
    }
}
