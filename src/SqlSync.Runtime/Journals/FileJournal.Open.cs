using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

public sealed partial class FileJournal
{
    /// <summary>The name of the lock file that keeps a journal directory to one open <see cref="FileJournal"/>.</summary>
    internal const string LockFileName = "journal.lock";

    /// <summary>
    /// Opens the journal in <paramref name="directory"/>, creating the directory and an empty journal (next
    /// LSN 0) when there is none. Every frame is checked: a torn tail of the last segment is truncated away;
    /// damage anywhere else throws <see cref="SqlSyncException"/> with <see cref="SqlSyncErrorCode.JournalCorrupt"/>.
    /// A directory already open in another <see cref="FileJournal"/> gives <see cref="SqlSyncErrorCode.JournalIo"/>.
    /// </summary>
    public static FileJournal Open(string directory, FileJournalOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new FileJournalOptions();
        options.Validate();
        directory = Path.GetFullPath(directory);

        SafeFileHandle? lockHandle = null;
        FileJournal? journal = null;
        try
        {
            Directory.CreateDirectory(directory);
            lockHandle = AcquireLock(directory);
            journal = new FileJournal(directory, options, lockHandle);
            journal.Load();
            return journal;
        }
        catch (Exception e)
        {
            // Everything Load opened (the active segment) and the lock file: a failed open holds nothing.
            if (journal is not null)
            {
                journal.Dispose();
            }
            else
            {
                lockHandle?.Dispose();
            }

            if (e is IOException or UnauthorizedAccessException)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalIo, $"Cannot open the journal in '{directory}': {e.Message}", e);
            }

            throw;
        }
    }

    private static SafeFileHandle AcquireLock(string directory)
    {
        string path = Path.Combine(directory, LockFileName);
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo,
                $"The journal in '{directory}' is already open (its lock file '{path}' is held).", e);
        }
    }

    private void Load()
    {
        foreach (string temp in Directory.EnumerateFiles(_directory, "*" + DurableFile.TempSuffix))
        {
            File.Delete(temp);
        }

        Lsn? marker = JournalStartMarker.Read(_directory);
        var found = new List<(Lsn First, string Path)>();
        foreach (string path in Directory.EnumerateFiles(_directory, "*" + JournalSegment.Extension))
        {
            if (JournalSegment.TryParseFileName(Path.GetFileName(path), out Lsn first))
            {
                found.Add((first, path));
            }
        }

        found.Sort((a, b) => a.First.CompareTo(b.First));
        if (found.Count == 0)
        {
            if (marker is not null)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                    $"The journal in '{_directory}' has a start marker (first live LSN {marker}) but no segment files.");
            }

            _segments.Add(CreateSegmentFile(Lsn.Zero));
        }
        else
        {
            // Segments wholly before the start marker were dropped; a crash interrupted their deletion.
            int skip = 0;
            while (marker is not null && skip + 1 < found.Count && found[skip + 1].First <= marker.Value)
            {
                File.Delete(found[skip].Path);
                skip++;
            }

            for (int i = skip; i < found.Count; i++)
            {
                JournalSegment segment = JournalSegmentScanner.Scan(found[i].Path, found[i].First, isLast: i == found.Count - 1);
                if (_segments.Count > 0 && _segments[^1].Next != segment.FirstLsn)
                {
                    throw JournalSegmentScanner.Corrupt(segment.Path,
                        $"at byte offset 0: it starts at LSN {segment.FirstLsn}, but the segment before it ends before LSN {_segments[^1].Next}");
                }

                _segments.Add(segment);
            }

            if (skip > 0)
            {
                DurableFile.FlushDirectory(_directory);
            }
        }

        JournalSegment active = _segments[^1];
        _first = _segments[0].FirstLsn;
        if (marker is not null)
        {
            if (marker.Value > active.Next)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                    $"The journal start marker in '{_directory}' says the first live LSN is {marker}, past the last entry (next LSN {active.Next}).");
            }

            _first = marker.Value > _first ? marker.Value : _first;
        }

        _fresh = marker is null && _segments.TrueForAll(s => s.Count == 0);
        _active = OpenActive(active);
    }

    private JournalSegment CreateSegmentFile(Lsn firstLsn)
    {
        string path = Path.Combine(_directory, JournalSegment.FileNameFor(firstLsn));
        byte[] header = new byte[JournalSegmentHeader.Size];
        new JournalSegmentHeader(firstLsn).Encode(header);
        DurableFile.WriteAtomically(path, header);
        return new JournalSegment(path, firstLsn, JournalSegmentHeader.Size);
    }

    private static SafeFileHandle OpenActive(JournalSegment segment) =>
        File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
}
