namespace SqlSync.Journals;

/// <summary>How a <see cref="FileJournal"/> writes its segment files.</summary>
internal sealed class FileJournalOptions
{
    /// <summary>The default <see cref="SegmentSizeBytes"/>: 64 MiB.</summary>
    public const long DefaultSegmentSizeBytes = 64L * 1024 * 1024;

    /// <summary>
    /// When true (the default), every <see cref="IJournal.Append"/> and <see cref="IJournal.AppendAt"/>
    /// forces the entry to disk before it returns. When false, entries reach the disk at
    /// <see cref="IJournal.Flush"/> (or whenever the operating system writes them), and a crash may lose
    /// entries appended since the last flush.
    /// </summary>
    public bool FsyncOnAppend { get; init; } = true;

    /// <summary>
    /// A segment file is closed and a new one started when the next frame would make the current one larger
    /// than this. A single entry larger than this still goes into one segment of its own.
    /// </summary>
    public long SegmentSizeBytes { get; init; } = DefaultSegmentSizeBytes;

    /// <summary>
    /// How messages name the journal, relative to its document (e.g. "storage" or "timelines/ID"): set, errors
    /// name "the storage journal" and its segments by first LSN, never an absolute path (they may reach
    /// clients); null names the directory.
    /// </summary>
    internal string? Label { get; init; }

    internal void Validate()
    {
        if (SegmentSizeBytes < JournalSegmentHeader.Size + JournalFrame.Overhead)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSizeBytes), SegmentSizeBytes,
                $"A segment must hold at least its {JournalSegmentHeader.Size}-byte header and one empty frame.");
        }
    }
}
