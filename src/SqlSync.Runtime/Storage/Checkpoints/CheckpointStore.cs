using System.Globalization;
using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// A document's <c>checkpoints/</c> directory: files named by the last LSN they cover
/// (<c>{LSN as 20 digits}.ckpt</c>), the newest usable one chosen at open, older ones deleted once the
/// journal no longer continues them. A read-only store (for tools) deletes nothing.
/// </summary>
internal sealed class CheckpointStore
{
    public const string DirectoryName = "checkpoints";
    private const string Extension = ".ckpt";

    private readonly bool _readOnly;

    public CheckpointStore(string documentDirectory, bool readOnly)
    {
        Directory = Path.Combine(documentDirectory, DirectoryName);
        _readOnly = readOnly;
        if (!readOnly)
        {
            System.IO.Directory.CreateDirectory(Directory);
            foreach (string temp in System.IO.Directory.EnumerateFiles(Directory, "*" + DurableFile.TempSuffix))
            {
                File.Delete(temp); // a checkpoint cut short by a crash: never renamed, never used
            }
        }
    }

    public string Directory { get; }

    /// <summary>The file of the checkpoint at <paramref name="lsn"/>.</summary>
    public string PathFor(Lsn lsn) => Path.Combine(Directory, lsn.Value.ToString("D20", CultureInfo.InvariantCulture) + Extension);

    /// <summary>How errors name a checkpoint file: relative to the document, never a server path.</summary>
    public static string LabelOf(string path) => $"{DirectoryName}/{Path.GetFileName(path)}";

    /// <summary>The checkpoint files, newest (highest LSN) first.</summary>
    public IReadOnlyList<(Lsn Lsn, string Path)> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return Array.Empty<(Lsn, string)>();
        }

        var found = new List<(Lsn, string)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.Length == 20 && ulong.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out ulong lsn))
            {
                found.Add((new Lsn(lsn), path));
            }
        }

        found.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return found;
    }

    /// <summary>
    /// Opens storage over <paramref name="journal"/> from the newest checkpoint that validates and that the
    /// journal continues, falling back to older ones (each refusal told to <paramref name="warning"/>, naming
    /// the file), then to the whole journal when it still starts at the beginning of the history and holds entries. When none
    /// of those exists the newest checkpoint's error is thrown, naming its file. With <paramref name="pageCacheBytes"/>
    /// the checkpoint is checked whole here (streamed, so a corrupt one is still passed over at open) and its pages
    /// are then read on demand through a page cache of that size; without, they are all read into memory.
    /// </summary>
    public static PageStorage OpenStorage(string name, IJournal journal, CheckpointStore? store, Action<string>? warning, long? pageCacheBytes)
    {
        SqlSyncException? first = null;
        foreach ((Lsn _, string path) in store?.List() ?? Array.Empty<(Lsn, string)>())
        {
            try
            {
#pragma warning disable CA2000 // the using disposes it on every path; the analyzer misreads the return inside the try
                using CheckpointFile file = CheckpointFile.Open(path, LabelOf(path));
#pragma warning restore CA2000
                if (pageCacheBytes is not null)
                {
                    file.Validate();
                }

                return PageStorage.Open(name, journal, file, pageCacheBytes);
            }
            catch (SqlSyncException e) when (e.Code == SqlSyncErrorCode.CheckpointCorrupt)
            {
                first ??= e;
                warning?.Invoke($"{e.Message} Trying an older checkpoint or the whole journal.");
            }
        }

        // An empty journal is no history to fall back on when a checkpoint was refused: it is the fresh journal that
        // continued an installed checkpoint (a client that joined), and opening it would show an empty document
        // without a word (decision 0036).
        LsnRange range = journal.Range;
        if (range.First.Value != 0 || (first is not null && range.IsEmpty))
        {
            throw first ?? new SqlSyncException(SqlSyncErrorCode.CheckpointCorrupt,
                $"Document '{name}': its storage journal starts at LSN {range.First}, and no checkpoint covers the LSNs before it.");
        }

        return PageStorage.Open(name, journal, null, pageCacheBytes);
    }

    /// <summary>Deletes every checkpoint older than <paramref name="newest"/> (after the journal's prefix up to it was dropped).</summary>
    public void DeleteOlderThan(Lsn newest)
    {
        if (_readOnly)
        {
            return;
        }

        bool deleted = false;
        foreach ((Lsn lsn, string path) in List())
        {
            if (lsn < newest)
            {
                File.Delete(path);
                deleted = true;
            }
        }

        if (deleted)
        {
            DurableFile.FlushDirectory(Directory);
        }
    }
}
