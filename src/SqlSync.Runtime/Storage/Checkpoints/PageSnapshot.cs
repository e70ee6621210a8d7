using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// The committed pages at one LSN, frozen: the view never writes into a page array it has published (it
/// replaces arrays), so copying the array of references is enough, and a checkpoint can be written from a
/// snapshot on another thread while steps go on. Pages the view reads from its checkpoint file are read from
/// that file here too (bypassing the page cache: a checkpoint reads every page once); the snapshot holds a share
/// of the file until disposed.
/// </summary>
internal sealed class PageSnapshot(Lsn firstLsn, Lsn lsn, uint sizeInPages, ulong checksum, ReadOnlyMemory<byte>[] pages, CheckpointFile? basePages, uint baseLimit, object? origin = null) : IDisposable
{
    /// <summary>The view (and its load) the snapshot was taken from: only that one may switch to the file written from it.</summary>
    public object? Origin { get; } = origin;

    /// <summary>The first storage LSN of the history the image covers.</summary>
    public Lsn FirstLsn { get; } = firstLsn;

    /// <summary>The LSN whose page view this is.</summary>
    public Lsn Lsn { get; } = lsn;

    public uint SizeInPages { get; } = sizeInPages;

    public ulong Checksum { get; } = checksum;

    /// <summary>Copies page <paramref name="pageNumber"/> (1-based) into <paramref name="destination"/>; a page never written is zeros.</summary>
    public void CopyPage(uint pageNumber, Span<byte> destination)
    {
        Span<byte> page = destination[..StorageFormat.PageSize];
        if (NewerThanBase(pageNumber) is { IsEmpty: false } bytes)
        {
            bytes.Span.CopyTo(page);
        }
        else if (basePages is not null && pageNumber >= 1 && pageNumber <= baseLimit)
        {
            basePages.ReadPage(pageNumber, page);
        }
        else
        {
            page.Clear();
        }
    }

    /// <summary>The page's memory when the view held it above its checkpoint file at the snapshot, else empty.</summary>
    public ReadOnlyMemory<byte> NewerThanBase(uint pageNumber) =>
        pageNumber >= 1 && pageNumber <= SizeInPages ? pages[pageNumber - 1] : default;

    public void Dispose() => basePages?.Dispose();
}
