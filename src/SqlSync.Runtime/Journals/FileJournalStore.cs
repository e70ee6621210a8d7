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

    /// <inheritdoc />
    public bool KeepsCheckpoints => false;

    /// <inheritdoc />
    public IReadOnlyList<Lsn> Checkpoints() => Checkpoint().List().Select(c => c.Lsn).ToList();

    /// <inheritdoc />
    public void PutCheckpoint(Lsn lsn, string path)
    {
        string target = Checkpoint().PathFor(lsn);
        if (File.Exists(target))
        {
            return; // the document's own file (the directory is the store), or the same pages already there
        }

        // copied under a temporary name, fsynced and renamed: the name holds the whole checkpoint or nothing
        string temp = target + DurableFile.TempSuffix;
        StorageFaults.Check(target, "write");
        File.Copy(path, temp, overwrite: true);
        using (var copy = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite))
        {
            copy.Flush(flushToDisk: true);
        }

        File.Move(temp, target, overwrite: true);
        DurableFile.FlushDirectory(Path.GetDirectoryName(target)!);
    }

    /// <inheritdoc />
    public bool GetCheckpoint(Lsn lsn, string path)
    {
        string source = Checkpoint().PathFor(lsn);
        if (!File.Exists(source))
        {
            return false;
        }

        File.Copy(source, path);
        return true;
    }

    /// <inheritdoc />
    public void DeleteCheckpoint(Lsn lsn) => File.Delete(Checkpoint().PathFor(lsn));

    /// <inheritdoc />
    public byte[]? ReadNote(string name)
    {
        string path = PathOf(name);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <inheritdoc />
    public void WriteNote(string name, ReadOnlySpan<byte> bytes)
    {
        string path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DurableFile.WriteAtomically(path, bytes);
    }

    private Storage.Checkpoints.CheckpointStore Checkpoint() => new(_directory, readOnly: false);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static string Label(string name) => name.Replace('\\', '/');
}
