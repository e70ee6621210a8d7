namespace SqlSync.Storage;

/// <summary>Pages one commit wrote, in ascending page-number order: a decoded storage entry or a pending layer's pages.</summary>
internal interface IPageSet
{
    /// <summary>How many pages.</summary>
    int PageCount { get; }

    /// <summary>The page number of the <paramref name="index"/>-th page.</summary>
    uint PageNumberAt(int index);

    /// <summary>The bytes of the <paramref name="index"/>-th page.</summary>
    ReadOnlySpan<byte> PageAt(int index);
}
