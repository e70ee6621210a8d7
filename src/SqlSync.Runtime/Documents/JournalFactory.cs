using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>Opens a document's journals: in memory, or as file journals under a directory.</summary>
internal sealed class JournalFactory
{
    private static readonly FileJournalOptions BatchedOptions = new() { FsyncOnAppend = false };
    private readonly string? _directory;
    private readonly FileJournalOptions _options;

    public JournalFactory(string? directory, bool fsyncOnAppend)
    {
        _directory = directory;
        _options = new FileJournalOptions { FsyncOnAppend = fsyncOnAppend };
        if (directory is not null)
        {
            System.IO.Directory.CreateDirectory(directory);
        }
    }

    /// <summary>The directory, or null for memory journals.</summary>
    public string? Directory => _directory;

    /// <summary>Whether file journals fsync every append.</summary>
    public bool FsyncOnAppend => _options.FsyncOnAppend;

    /// <summary>Opens (or creates) the journal at <paramref name="relativePath"/>.</summary>
    public IJournal Open(string relativePath) =>
        _directory is null ? new MemoryJournal() : FileJournal.Open(Path.Combine(_directory, relativePath), _options);

    /// <summary>
    /// Opens a journal whose appends are not fsynced one by one: the caller fsyncs a batch with
    /// <see cref="IJournal.Flush"/> (group commit) when <see cref="FsyncOnAppend"/> is set.
    /// </summary>
    public IJournal OpenBatched(string relativePath) =>
        _directory is null ? new MemoryJournal() : FileJournal.Open(Path.Combine(_directory, relativePath), BatchedOptions);

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
}
