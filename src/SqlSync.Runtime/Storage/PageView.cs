namespace SqlSync.Storage;

/// <summary>
/// The committed page view: for each page number, its newest version in the storage journal, held in
/// memory so a read is one array index. Keeps the database checksum current in O(pages written).
/// </summary>
internal sealed class PageView
{
    private static readonly byte[] s_zeroPage = new byte[StorageFormat.PageSize];
    private byte[]?[] _pages = new byte[]?[64];

    /// <summary>Database size in pages.</summary>
    public uint Size { get; private set; }

    /// <summary>The database checksum of pages 1..Size.</summary>
    public ulong Checksum { get; private set; }

    /// <summary>The bytes of a page; a page never written reads as zeros.</summary>
    public ReadOnlySpan<byte> Page(uint pageNumber)
    {
        if (pageNumber == 0 || pageNumber > Size)
        {
            return s_zeroPage;
        }

        return _pages[pageNumber - 1] ?? s_zeroPage;
    }

    /// <summary>Sets the database size, keeping the checksum right for pages that appear or vanish.</summary>
    public void Resize(uint newSize)
    {
        while (Size > newSize)
        {
            Checksum ^= DatabaseChecksum.HashPage(Size, Page(Size));
            _pages[Size - 1] = null;
            Size--;
        }

        if (newSize > Size)
        {
            EnsureCapacity(newSize);
            while (Size < newSize)
            {
                Size++;
                Checksum ^= DatabaseChecksum.HashPage(Size, s_zeroPage);
            }
        }
    }

    /// <summary>
    /// Replaces a page inside the current size by a copy of <paramref name="bytes"/>. The old page's hash is
    /// computed from its bytes, not remembered, so a page changed behind the engine's back makes the
    /// checksum disagree with the coordinator's at the next entry that rewrites it.
    /// </summary>
    public void SetPage(uint pageNumber, ReadOnlySpan<byte> bytes)
    {
        byte[]? target = _pages[pageNumber - 1];
        Checksum ^= DatabaseChecksum.HashPage(pageNumber, target ?? s_zeroPage);
        if (target is null)
        {
            target = new byte[StorageFormat.PageSize];
            _pages[pageNumber - 1] = target;
        }

        bytes.CopyTo(target);
        Checksum ^= DatabaseChecksum.HashPage(pageNumber, target);
    }

    /// <summary>Like <see cref="SetPage"/>, taking ownership of <paramref name="page"/> instead of copying.</summary>
    public void AdoptPage(uint pageNumber, byte[] page)
    {
        Checksum ^= DatabaseChecksum.HashPage(pageNumber, Page(pageNumber));
        _pages[pageNumber - 1] = page;
        Checksum ^= DatabaseChecksum.HashPage(pageNumber, page);
    }

    /// <summary>Recomputes the checksum from every page, ignoring the running value.</summary>
    public ulong ComputeChecksum()
    {
        ulong checksum = 0;
        for (uint page = 1; page <= Size; page++)
        {
            checksum ^= DatabaseChecksum.HashPage(page, Page(page));
        }

        return checksum;
    }

    /// <summary>Flips one bit of a page without updating the checksum: a test hook for divergence detection.</summary>
    internal void CorruptForTesting(uint pageNumber, int offset)
    {
        byte[] page = _pages[pageNumber - 1] ?? throw new InvalidOperationException($"Page {pageNumber} is not present.");
        page[offset] ^= 0x01;
    }

    private void EnsureCapacity(uint size)
    {
        if (_pages.Length < size)
        {
            Array.Resize(ref _pages, (int)Math.Max(size, (uint)_pages.Length * 2));
        }
    }
}
