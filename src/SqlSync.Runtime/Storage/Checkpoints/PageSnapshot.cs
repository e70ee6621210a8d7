using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// The committed pages at one LSN, frozen: the view never writes into a page array it has published (it
/// replaces arrays), so copying the array of references is enough, and a checkpoint can be written from a
/// snapshot on another thread while steps go on.
/// </summary>
internal sealed class PageSnapshot(Lsn firstLsn, Lsn lsn, uint sizeInPages, ulong checksum, byte[]?[] pages)
{
    private static readonly byte[] s_zeroPage = new byte[StorageFormat.PageSize];

    /// <summary>The first storage LSN of the history the image covers.</summary>
    public Lsn FirstLsn { get; } = firstLsn;

    /// <summary>The LSN whose page view this is.</summary>
    public Lsn Lsn { get; } = lsn;

    public uint SizeInPages { get; } = sizeInPages;

    public ulong Checksum { get; } = checksum;

    /// <summary>A page's bytes (1-based); a page never written reads as zeros.</summary>
    public ReadOnlySpan<byte> Page(uint pageNumber) =>
        pageNumber >= 1 && pageNumber <= SizeInPages ? pages[pageNumber - 1] ?? s_zeroPage : s_zeroPage;
}
