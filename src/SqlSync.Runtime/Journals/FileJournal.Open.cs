using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

internal sealed partial class FileJournal
{
    /// <summary>The name of the lock file that keeps a journal directory to one open <see cref="FileJournal"/>.</summary>
    internal const string LockFileName = "journal.lock";

    /// <summary>
    /// Opens the journal in <paramref name="directory"/>, creating the directory and an empty journal (next
    /// LSN 0) when there is none. Every frame is checked: a torn tail of the last segment is truncated away
    /// (and reported in <see cref="TornTail"/>); damage anywhere else throws <see cref="SqlSyncException"/> with
    /// <see cref="SqlSyncErrorCode.JournalCorrupt"/>. A directory already open in another <see cref="FileJournal"/>
    /// gives <see cref="SqlSyncErrorCode.JournalIo"/>.
    /// </summary>
    public static FileJournal Open(string directory, FileJournalOptions? options = null) => OpenCore(directory, options, readOnly: false);

    /// <summary>
    /// Opens the journal in <paramref name="directory"/> to read it, for tools: nothing on disk changes (no
    /// directory or segment is created, a torn tail is left in place and only reported in <see cref="TornTail"/>,
    /// no temporary file is deleted) and the writer's lock is not taken. A journal whose writer holds its lock
    /// (a running server or client has the document open) is refused with <see cref="SqlSyncErrorCode.JournalInUse"/>,
    /// since its tail may change while it is read; a writer that opens it afterwards is not held back.
    /// Corruption gives <see cref="SqlSyncErrorCode.JournalCorrupt"/>, as with <see cref="Open(string, FileJournalOptions?)"/>.
    /// </summary>
    public static FileJournal OpenReadOnly(string directory, FileJournalOptions? options = null) => OpenCore(directory, options, readOnly: true);

    private static FileJournal OpenCore(string directory, FileJournalOptions? options, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new FileJournalOptions();
        options.Validate();
        directory = Path.GetFullPath(directory);
        string subject = options.Label is { } label ? $"the {label} journal" : $"the journal in '{directory}'";

        SafeFileHandle? lockHandle = null;
        FileJournal? journal = null;
        try
        {
            if (readOnly)
            {
                if (!Directory.Exists(directory))
                {
                    throw new SqlSyncException(SqlSyncErrorCode.JournalIo, $"Cannot open {subject}: the directory does not exist.");
                }

                ThrowIfLocked(directory, subject);
            }
            else
            {
                Directory.CreateDirectory(directory);
                lockHandle = AcquireLock(directory, subject);
            }

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
                string why = options.Label is null ? e.Message : StorageFaults.Describe(e);
                throw new SqlSyncException(SqlSyncErrorCode.JournalIo, $"Cannot open {subject}: {why}", e);
            }

            throw;
        }
    }

    private static SafeFileHandle AcquireLock(string directory, string subject)
    {
        string path = Path.Combine(directory, LockFileName);
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo,
                $"{char.ToUpperInvariant(subject[0])}{subject[1..]} is already open (its lock file {LockFileName} is held).", e);
        }
    }

    /// <summary>
    /// Refuses a journal whose writer holds its lock file. A shared open conflicts with the writer's exclusive
    /// one (an advisory flock on Unix, a share mode on Windows) and is closed at once, so a writer is never kept out.
    /// </summary>
    private static void ThrowIfLocked(string directory, string subject)
    {
        string path = Path.Combine(directory, LockFileName);
        try
        {
            File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete).Dispose();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Never opened by a writer: nothing can hold it.
        }
        catch (IOException e)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalInUse,
                $"{char.ToUpperInvariant(subject[0])}{subject[1..]} is in use: a server or client has it open (its lock file {LockFileName} is held).", e);
        }
    }

    private void Load()
    {
        if (!_readOnly)
        {
            foreach (string temp in Directory.EnumerateFiles(_directory, "*" + DurableFile.TempSuffix))
            {
                File.Delete(temp);
            }
        }

        Lsn? marker = JournalStartMarker.Read(_directory, _options.Label);
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
                    $"{Subject} has a start marker (first live LSN {marker}) but no segment files.");
            }

            // Read-only: an empty journal that is not on disk, rather than a segment created.
            _segments.Add(_readOnly
                ? new JournalSegment(Path.Combine(_directory, JournalSegment.FileNameFor(Lsn.Zero)), Lsn.Zero, JournalSegmentHeader.Size)
                : CreateSegmentFile(Lsn.Zero));
        }
        else
        {
            // Segments wholly before the start marker were dropped; a crash interrupted their deletion.
            int skip = 0;
            while (marker is not null && skip + 1 < found.Count && found[skip + 1].First <= marker.Value)
            {
                if (!_readOnly)
                {
                    File.Delete(found[skip].Path);
                }

                skip++;
            }

            for (int i = skip; i < found.Count; i++)
            {
                bool isLast = i == found.Count - 1;
                string name = SegmentName(_options, found[i].Path, found[i].First);
                JournalSegment segment = JournalSegmentScanner.Scan(found[i].Path, name, found[i].First, isLast, cut: !_readOnly, out JournalTornTail? torn);
                TornTail ??= torn;
                if (_segments.Count > 0 && _segments[^1].Next != segment.FirstLsn)
                {
                    throw JournalSegmentScanner.Corrupt(name,
                        $"at byte offset 0: it starts at LSN {segment.FirstLsn}, but the segment before it ends before LSN {_segments[^1].Next}");
                }

                _segments.Add(segment);
            }

            if (skip > 0 && !_readOnly)
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
                    $"The start marker of {char.ToLowerInvariant(Subject[0])}{Subject[1..]} says the first live LSN is {marker}, past the last entry (next LSN {active.Next}).");
            }

            _first = marker.Value > _first ? marker.Value : _first;
        }

        _fresh = marker is null && _segments.TrueForAll(s => s.Count == 0);
        if (!_readOnly)
        {
            _active = OpenActive(active);
        }
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
