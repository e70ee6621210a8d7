namespace SqlSync.Storage;

/// <summary>
/// Pages written since the last commit or revert, above the committed view. On a client these are its
/// optimistic local changes; on the coordinator, the pages of the step in progress.
/// </summary>
internal sealed class PendingLayer
{
    private readonly Dictionary<uint, byte[]> _pages = new();

    /// <summary>The database size the pending writes imply, or null while it is the view's.</summary>
    public uint? Size { get; private set; }

    /// <summary>True when nothing is pending.</summary>
    public bool IsEmpty => _pages.Count == 0 && Size is null;

    /// <summary>How many pages are pending.</summary>
    public int PageCount => _pages.Count;

    /// <summary>Bytes held by pending pages.</summary>
    public long ByteCount => (long)_pages.Count * StorageFormat.PageSize;

    /// <summary>Finds a pending page.</summary>
    public bool TryGet(uint pageNumber, out byte[] page) => _pages.TryGetValue(pageNumber, out page!);

    /// <summary>Writes part or all of a page; <paramref name="basePage"/> fills a page seen for the first time.</summary>
    public void Write(uint pageNumber, int offsetInPage, ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> basePage, uint viewSize)
    {
        if (!_pages.TryGetValue(pageNumber, out byte[]? page))
        {
            page = new byte[StorageFormat.PageSize];
            if (bytes.Length != StorageFormat.PageSize)
            {
                basePage.CopyTo(page);
            }

            _pages.Add(pageNumber, page);
        }

        bytes.CopyTo(page.AsSpan(offsetInPage));
        uint size = Size ?? viewSize;
        if (pageNumber > size)
        {
            Size = pageNumber;
        }
    }

    /// <summary>Truncates the pending database to <paramref name="sizeInPages"/>.</summary>
    public void Truncate(uint sizeInPages)
    {
        Size = sizeInPages;
        if (_pages.Count == 0)
        {
            return;
        }

        List<uint>? beyond = null;
        foreach (uint page in _pages.Keys)
        {
            if (page > sizeInPages)
            {
                (beyond ??= new()).Add(page);
            }
        }

        if (beyond is not null)
        {
            foreach (uint page in beyond)
            {
                _pages.Remove(page);
            }
        }
    }

    /// <summary>The pending pages within <paramref name="size"/>, sorted by page number.</summary>
    public List<KeyValuePair<uint, byte[]>> SortedPages(uint size)
    {
        var pages = new List<KeyValuePair<uint, byte[]>>(_pages.Count);
        foreach (KeyValuePair<uint, byte[]> page in _pages)
        {
            if (page.Key <= size)
            {
                pages.Add(page);
            }
        }

        pages.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        return pages;
    }

    /// <summary>Forgets every pending write.</summary>
    public void Clear()
    {
        _pages.Clear();
        Size = null;
    }
}
