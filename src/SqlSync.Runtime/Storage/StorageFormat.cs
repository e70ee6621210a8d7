namespace SqlSync.Storage;

/// <summary>Constants of the page storage: page size and the SQLite header fields the VFS cares about.</summary>
internal static class StorageFormat
{
    /// <summary>Every database SqlSync manages uses 4 KiB pages.</summary>
    public const int PageSize = 4096;

    /// <summary>Offset of SQLite's file change counter in page 1 (big-endian u32).</summary>
    public const int ChangeCounterOffset = 24;

    /// <summary>Offset of SQLite's schema cookie in page 1 (big-endian u32): connections reload their schema when it changes.</summary>
    public const int SchemaCookieOffset = 40;

    /// <summary>Offset of SQLite's version-valid-for number in page 1 (big-endian u32); kept equal to the counter.</summary>
    public const int VersionValidForOffset = 92;
}
