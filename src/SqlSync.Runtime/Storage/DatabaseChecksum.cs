using SqlSync.Journals;

namespace SqlSync.Storage;

/// <summary>
/// The database checksum: the XOR over all pages of a 64-bit hash of (page number, page bytes), as in LTX.
/// XOR makes it order-free and lets a commit update it in O(pages written): remove a page's old hash,
/// add its new one. Two replicas with the same checksum for the same LSN hold the same bytes.
/// </summary>
internal static class DatabaseChecksum
{
    /// <summary>The hash of one page: XXH3-64 of its bytes, seeded with its page number.</summary>
    public static ulong HashPage(uint pageNumber, ReadOnlySpan<byte> page) =>
        LongXxHash3.Hash(page, pageNumber); // XXH3-64: the library's values, optimized at once (decision 0043)
}
