using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;

namespace SqlSync.Documents;

/// <summary>
/// Read-only access to a document directory on disk, written by a <see cref="CoordinatorDocument"/> or a
/// <see cref="LocalDocument"/>, without its reducer: journal ranges, timelines, the tables, checks. For
/// tools such as the <c>sqlsync</c> CLI. It never changes what it reads: journals are opened read-only
/// (<see cref="FileJournal.OpenReadOnly"/>), so a torn tail is left in place and reported in
/// <see cref="TornTails"/>, and a document a server or client has open is refused with
/// <see cref="SqlSyncErrorCode.JournalInUse"/> (its journals may change while they are read).
/// </summary>
public sealed class DocumentInspector : IDisposable
{
    private readonly string _directory;
    private readonly PageStorage _storage;
    private readonly DatabaseConnection _connection;
    private readonly string _fileName;
    private readonly List<JournalTornTail> _tornTails = new();

    private DocumentInspector(string directory, bool isCoordinator, PageStorage storage, string fileName, DatabaseConnection connection)
    {
        _directory = directory;
        IsCoordinator = isCoordinator;
        _storage = storage;
        _fileName = fileName;
        _connection = connection;
    }

    /// <summary>The file in a client's document directory that holds its document id.</summary>
    public const string DocumentIdFileName = "document.id";

    /// <summary>
    /// The document's id: a coordinator's folder is named by it; a client's folder records it in
    /// <see cref="DocumentIdFileName"/> (null for a folder written before that file existed).
    /// </summary>
    public string? DocumentId => IsCoordinator
        ? Path.GetFileName(Path.GetFullPath(_directory).TrimEnd(Path.DirectorySeparatorChar))
        : File.Exists(Path.Combine(_directory, DocumentIdFileName)) ? File.ReadAllText(Path.Combine(_directory, DocumentIdFileName)).Trim() : null;

    /// <summary>True for a coordinator's directory, false for a client's.</summary>
    public bool IsCoordinator { get; }

    /// <summary>The storage journal's range.</summary>
    public LsnRange StorageRange => _storage.Range;

    /// <summary>The database checksum after the newest storage entry.</summary>
    public ulong StorageChecksum => _storage.Checksum;

    /// <summary>The database size in pages.</summary>
    public uint SizeInPages => _storage.CommittedSizeInPages;

    /// <summary>
    /// The torn tails found in the journals read so far: the storage journal's at open, the timelines' once
    /// <see cref="Timelines"/> or <see cref="VerifyJournals"/> has read them. Left on disk; the document's
    /// owner cuts them when it next opens the document.
    /// </summary>
    internal IReadOnlyList<JournalTornTail> TornTails => _tornTails;

    /// <summary>Bytes of every file under the directory.</summary>
    public long BytesOnDisk => new DirectoryInfo(_directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>Opens the document directory <paramref name="directory"/>.</summary>
    public static DocumentInspector Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string storagePath = Path.Combine(directory, "storage");
        if (!Directory.Exists(storagePath))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                Directory.Exists(directory)
                    ? $"'{directory}' is not a SqlSync document directory: it has no storage journal."
                    : $"The directory '{directory}' does not exist.");
        }

        bool isCoordinator = !File.Exists(Path.Combine(directory, "timeline.id"));
        var checkpoints = new Storage.Checkpoints.CheckpointStore(directory, readOnly: true); // deletes nothing
#pragma warning disable CA2000 // disposed by the catch below, or owned by the storage it opens
        FileJournal journal = FileJournal.OpenReadOnly(storagePath);
#pragma warning restore CA2000
        PageStorage? storage = null;
        string fileName = DocumentIds.NewFileName("inspect", "readonly");
        try
        {
            // The newest valid checkpoint plus the journal after it.
            storage = Storage.Checkpoints.CheckpointStore.OpenStorage(Path.GetFileName(Path.GetFullPath(directory)), journal, checkpoints, warning: null, Storage.PageCache.DefaultBytes);
            PageVfs.Register(fileName, storage);
            DatabaseConnection connection = DatabaseConnection.Open(fileName, readOnly: true);
            var inspector = new DocumentInspector(directory, isCoordinator, storage, fileName, connection);
            inspector.NoteTornTail(journal);
            return inspector;
        }
        catch
        {
            PageVfs.Unregister(fileName);
            if (storage is null) journal.Dispose(); else storage.Dispose();
            throw;
        }
    }

    /// <summary>The user tables (SqlSync's own <c>__sqlsync_*</c> and SQLite's tables aside), by name.</summary>
    public IReadOnlyList<string> UserTables() =>
        Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_sqlsync\\_%' ESCAPE '\\' ORDER BY name")
            .Select(row => (string)row[0]!).ToArray();

    /// <summary>Runs a read query against the newest storage state.</summary>
    public IReadOnlyList<object?[]> Query(string sql, params object?[] args) => _connection.Query(sql, args);

    /// <summary>The timelines the directory holds, with what the storage says was applied.</summary>
    internal IReadOnlyList<TimelineSummary> Timelines()
    {
        var applied = new Dictionary<TimelineId, (Lsn Lsn, int Rejected)>();
        if (_connection.QueryScalar<long>(SystemTables.ExistsSql, ReadOnlySpan<object?>.Empty) > 0)
        {
            foreach (object?[] row in Query("SELECT t.timeline_id, t.lsn, (SELECT count(*) FROM __sqlsync_rejections r WHERE r.timeline_id = t.timeline_id) FROM __sqlsync_timelines t"))
            {
                applied[TimelineId.Parse((string)row[0]!)] = (new Lsn((ulong)(long)row[1]!), (int)(long)row[2]!);
            }
        }

        var summaries = new List<TimelineSummary>();
        foreach ((TimelineId timeline, string path) in TimelineDirectories())
        {
            using var journal = FileJournal.OpenReadOnly(path);
            NoteTornTail(journal);
            bool known = applied.TryGetValue(timeline, out var state);
            summaries.Add(new TimelineSummary(timeline, journal.Range, known ? state.Lsn : null, known ? state.Rejected : 0));
            applied.Remove(timeline);
        }

        foreach ((TimelineId timeline, (Lsn lsn, int rejected)) in applied)
        {
            summaries.Add(new TimelineSummary(timeline, LsnRange.EmptyAt(lsn.Next), lsn, rejected));
        }

        return summaries.OrderBy(s => s.Timeline.ToString(), StringComparer.Ordinal).ToArray();
    }

    /// <summary>SQLite's <c>PRAGMA integrity_check</c> of the newest storage state: "ok" or the problems found.</summary>
    public string IntegrityCheck() =>
        string.Join(Environment.NewLine, Query("PRAGMA integrity_check").Select(row => (string)row[0]!));

    /// <summary>
    /// Writes the committed page image at the newest LSN (the newest checkpoint plus the storage journal after
    /// it) to <paramref name="path"/> as a plain SQLite database file, atomically (a temporary file beside it,
    /// fsync'd, renamed). An existing file is an <see cref="SqlSyncErrorCode.InvalidArgument"/> error unless
    /// <paramref name="overwrite"/>. The pages' checksum is recomputed as they are written and must equal
    /// <see cref="StorageChecksum"/> (<see cref="SqlSyncErrorCode.Divergence"/> otherwise, and no file).
    /// <paramref name="progress"/> hears (pages written, pages in all) as the image is written.
    /// </summary>
    internal ExportedImage Export(string path, bool overwrite = false, IProgress<(long Done, long Total)>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Storage.Checkpoints.DatabaseImageWriter.Write(_storage, path, overwrite, progress);
        LsnRange range = _storage.Range;
        return new ExportedImage(range.Next.Value == 0 ? null : new Lsn(range.Next.Value - 1), _storage.CommittedSizeInPages, _storage.Checksum);
    }

    /// <summary>
    /// Reads every entry of every journal (checking each frame's checksum), checks that every timeline
    /// entry is a well-formed envelope, and recomputes the database checksum over all pages. Reports
    /// progress as (entries checked, entries in all). Throws <see cref="SqlSyncException"/> at the first problem.
    /// </summary>
    internal void VerifyJournals(IProgress<(long Done, long Total)>? progress = null)
    {
        var journals = new List<(IJournal Journal, bool IsTimeline, bool Owned)> { (_storage.Journal, false, false) };
        try
        {
            foreach ((_, string path) in TimelineDirectories())
            {
                FileJournal journal = FileJournal.OpenReadOnly(path);
                journals.Add((journal, true, true));
                NoteTornTail(journal);
            }

            long total = journals.Sum(j => (long)j.Journal.Range.Count);
            long done = 0;
            foreach ((IJournal journal, bool isTimeline, _) in journals)
            {
                LsnRange range = journal.Range;
                for (ulong lsn = range.First.Value; lsn < range.Next.Value; lsn++)
                {
                    ReadOnlyMemory<byte> entry = journal.Read(new Lsn(lsn));
                    if (isTimeline)
                    {
                        TimelineEntry.Decode(entry.Span);
                    }
                    else
                    {
                        StorageEntry.Decode(entry);
                    }

                    if (++done % 256 == 0 || done == total)
                    {
                        progress?.Report((done, total));
                    }
                }
            }

            _storage.VerifyFullChecksum();
            progress?.Report((total, total));
        }
        finally
        {
            foreach ((IJournal journal, _, bool owned) in journals)
            {
                if (owned)
                {
                    journal.Dispose();
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _connection.Dispose();
        PageVfs.Unregister(_fileName);
        _storage.Dispose();
    }

    private void NoteTornTail(FileJournal journal)
    {
        if (journal.TornTail is { } torn && !_tornTails.Exists(t => t.SegmentPath == torn.SegmentPath))
        {
            _tornTails.Add(torn);
        }
    }

    private IEnumerable<(TimelineId Timeline, string Path)> TimelineDirectories()
    {
        if (!IsCoordinator)
        {
            string id = File.ReadAllText(Path.Combine(_directory, "timeline.id")).Trim();
            string path = Path.Combine(_directory, "timeline");
            if (Directory.Exists(path))
            {
                yield return (TimelineId.Parse(id), path);
            }

            yield break;
        }

        string timelines = Path.Combine(_directory, "timelines");
        if (!Directory.Exists(timelines))
        {
            yield break;
        }

        foreach (string path in Directory.EnumerateDirectories(timelines).Order(StringComparer.Ordinal))
        {
            if (Guid.TryParseExact(Path.GetFileName(path), "N", out Guid id))
            {
                yield return (new TimelineId(id), path);
            }
        }
    }
}
