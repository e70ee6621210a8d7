namespace SqlSync.Journals;

/// <summary>The default store: each journal is a <see cref="FileJournal"/> directory under the document's directory.</summary>
internal sealed class FileJournalStore : IJournalStore
{
    private readonly string _directory;
    private readonly Action<string>? _warning;

    /// <param name="directory">The document's directory (created when missing).</param>
    /// <param name="warning">Told what opening a journal repaired (a torn tail cut), naming the journal and LSN.</param>
    public FileJournalStore(string directory, Action<string>? warning)
    {
        _directory = directory;
        _warning = warning;
        Directory.CreateDirectory(directory);
    }

    /// <inheritdoc />
    public bool FlushBeforeAcknowledge => false;

    /// <inheritdoc />
    public IJournal Open(string name, bool batched, bool fsyncOnAppend, long segmentSizeBytes)
    {
        // The label names the journal relative to the document, so its errors carry no server path.
        var options = new FileJournalOptions { FsyncOnAppend = fsyncOnAppend && !batched, SegmentSizeBytes = segmentSizeBytes, Label = Label(name) };
        FileJournal journal = FileJournal.Open(PathOf(name), options);
        if (journal.TornTail is { } torn)
        {
            _warning?.Invoke($"cut a torn tail off the {options.Label} journal: {torn.Bytes} byte(s) at offset {torn.Offset} of '{torn.SegmentPath}', " +
                $"where the frame for LSN {torn.Lsn} would start (an append cut short, never acknowledged).");
        }

        return journal;
    }

    /// <inheritdoc />
    public IJournal OpenReadOnly(string name) => FileJournal.OpenReadOnly(PathOf(name), new FileJournalOptions { Label = Label(name) });

    /// <inheritdoc />
    public IReadOnlyList<string> Children(string name)
    {
        string path = PathOf(name);
        return Directory.Exists(path)
            ? Directory.EnumerateDirectories(path).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : Array.Empty<string>();
    }

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static string Label(string name) => name.Replace('\\', '/');
}
