using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>Opens a document's journals: in memory, or as file journals under a directory.</summary>
internal sealed class JournalFactory
{
    private readonly string? _directory;
    private readonly bool _fsyncOnAppend;
    private readonly Action<string>? _warning;

    /// <param name="directory">The document's directory, or null for memory journals.</param>
    /// <param name="fsyncOnAppend">Whether file journals fsync every append.</param>
    /// <param name="warning">Told what opening a journal repaired (a torn tail cut), naming the file and LSN.</param>
    public JournalFactory(string? directory, bool fsyncOnAppend, Action<string>? warning = null)
    {
        _directory = directory;
        _fsyncOnAppend = fsyncOnAppend;
        _warning = warning;
        if (directory is not null)
        {
            System.IO.Directory.CreateDirectory(directory);
        }
    }

    /// <summary>The directory, or null for memory journals.</summary>
    public string? Directory => _directory;

    /// <summary>Whether file journals fsync every append.</summary>
    public bool FsyncOnAppend => _fsyncOnAppend;

    /// <summary>Told what opening repaired or refused (a torn tail cut, a corrupt checkpoint passed over).</summary>
    public Action<string>? Warning => _warning;

    /// <summary>The document's checkpoint directory; null for memory documents, which keep no checkpoints.</summary>
    public Storage.Checkpoints.CheckpointStore? OpenCheckpoints() =>
        _directory is null ? null : new Storage.Checkpoints.CheckpointStore(_directory, readOnly: false);

    /// <summary>Opens the storage journal, in segments of <paramref name="segmentSizeBytes"/> (compaction drops whole segments).</summary>
    public IJournal OpenStorage(long segmentSizeBytes) => OpenFile("storage", _fsyncOnAppend, segmentSizeBytes);

    /// <summary>
    /// Segments of a timeline journal (a client's own, the coordinator's received ones). Applied entries are dropped
    /// a whole segment at a time, and a busy timeline always has entries not yet applied, so its active segment would
    /// only roll when full: small segments keep its disk and its open scan near what is not applied yet, not its history.
    /// </summary>
    public const long TimelineSegmentBytes = 1024 * 1024;

    /// <summary>Segments of a client's storage journal: its checkpoints drop whole segments, as the coordinator's do.</summary>
    public const long ClientStorageSegmentBytes = 4 * 1024 * 1024;

    /// <summary>Opens (or creates) the journal at <paramref name="relativePath"/>, in segments of <paramref name="segmentSizeBytes"/>.</summary>
    public IJournal Open(string relativePath, long segmentSizeBytes) => OpenFile(relativePath, _fsyncOnAppend, segmentSizeBytes);

    /// <summary>
    /// Opens a journal whose appends are not fsynced one by one: the caller fsyncs a batch with
    /// <see cref="IJournal.Flush"/> (group commit) when <see cref="FsyncOnAppend"/> is set.
    /// </summary>
    public IJournal OpenBatched(string relativePath) => OpenFile(relativePath, fsyncOnAppend: false, TimelineSegmentBytes);

    /// <summary>The sub-directories of <paramref name="relativePath"/> that exist (none for memory journals).</summary>
    public IEnumerable<string> Children(string relativePath)
    {
        if (_directory is null)
        {
            return Array.Empty<string>();
        }

        string path = Path.Combine(_directory, relativePath);
        return System.IO.Directory.Exists(path)
            ? System.IO.Directory.EnumerateDirectories(path).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)
            : Array.Empty<string>();
    }

    private IJournal OpenFile(string relativePath, bool fsyncOnAppend, long segmentSizeBytes = FileJournalOptions.DefaultSegmentSizeBytes)
    {
        if (_directory is null)
        {
            return new MemoryJournal();
        }

        // The label names the journal relative to the document, so its errors carry no server path.
        var options = new FileJournalOptions { FsyncOnAppend = fsyncOnAppend, SegmentSizeBytes = segmentSizeBytes, Label = relativePath.Replace('\\', '/') };
        FileJournal journal = FileJournal.Open(Path.Combine(_directory, relativePath), options);
        if (journal.TornTail is { } torn)
        {
            _warning?.Invoke($"cut a torn tail off the {options.Label} journal: {torn.Bytes} byte(s) at offset {torn.Offset} of '{torn.SegmentPath}', " +
                $"where the frame for LSN {torn.Lsn} would start (an append cut short, never acknowledged).");
        }

        return journal;
    }
}
