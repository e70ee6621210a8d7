namespace SqlSync.Storage;

/// <summary>The pending layer's pages, sorted, as an <see cref="IPageSet"/>.</summary>
internal sealed class PendingPageSet(List<KeyValuePair<uint, byte[]>> pages) : IPageSet
{
    public List<KeyValuePair<uint, byte[]>> Pages { get; } = pages;

    public int PageCount => Pages.Count;

    public uint PageNumberAt(int index) => Pages[index].Key;

    public ReadOnlySpan<byte> PageAt(int index) => Pages[index].Value;
}
