using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>Opens a document's journals: in memory, or as file journals under a directory.</summary>
internal sealed class JournalFactory
{
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

    /// <summary>Opens (or creates) the journal at <paramref name="relativePath"/>.</summary>
    public IJournal Open(string relativePath) =>
        _directory is null ? new MemoryJournal() : FileJournal.Open(Path.Combine(_directory, relativePath), _options);

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
