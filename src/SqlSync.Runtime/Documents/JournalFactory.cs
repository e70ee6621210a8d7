using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// Opens a document's journals from its <see cref="IJournalStore"/> (decision 0031): files under its directory by
/// default, fresh memory journals when it has neither a directory nor a store, or the store its options chose.
/// </summary>
internal sealed class JournalFactory
{
    private readonly string? _directory;
    private readonly IJournalStore? _store;
    private readonly bool _fsyncOnAppend;
    private readonly Action<string>? _warning;

    /// <param name="directory">The document's directory (its files, or only caches beside a <paramref name="store"/>), or null.</param>
    /// <param name="fsyncOnAppend">Whether file journals fsync every append.</param>
    /// <param name="warning">Told what opening a journal repaired (a torn tail cut), naming the file and LSN.</param>
    /// <param name="store">Where the journals live; null for files under <paramref name="directory"/> (or memory without one).</param>
    public JournalFactory(string? directory, bool fsyncOnAppend, Action<string>? warning = null, IJournalStore? store = null)
    {
        _directory = directory;
        _fsyncOnAppend = fsyncOnAppend;
        _warning = warning;
        _store = store ?? (directory is null ? null : new FileJournalStore(directory, warning));
        if (directory is not null)
        {
            System.IO.Directory.CreateDirectory(directory);
        }
    }

    /// <summary>The directory, or null for memory journals.</summary>
    public string? Directory => _directory;

    /// <summary>
    /// Whether appends must be made durable one by one or per batch (<see cref="IJournal.Flush"/>) before they
    /// are acknowledged: fsync for files, the store's write for stores that batch appends until a flush.
    /// </summary>
    public bool FsyncOnAppend => _fsyncOnAppend || _store?.FlushBeforeAcknowledge == true;

    /// <summary>Told what opening repaired or refused (a torn tail cut, a corrupt checkpoint passed over).</summary>
    public Action<string>? Warning => _warning;

    /// <summary>
    /// The document's checkpoint directory; null for memory documents, which keep no checkpoints. With journals in a
    /// store that keeps checkpoints (decision 0037) the directory is a cache of the store's: first brought in line with
    /// it (files the store does not hold are deleted, its newest is downloaded when missing), so the document opens
    /// from the store's newest checkpoint even on an empty disk.
    /// </summary>
    public Storage.Checkpoints.CheckpointStore? OpenCheckpoints()
    {
        if (_directory is null || _store is null || _store is not FileJournalStore && !_store.KeepsCheckpoints)
        {
            return null;
        }

        var local = new Storage.Checkpoints.CheckpointStore(_directory, readOnly: false);
        if (KeepsCheckpoints)
        {
            CacheCheckpoints(_store, local);
        }

        return local;
    }

    /// <summary>True when checkpoints are written through the store and the local ones are its cache.</summary>
    public bool KeepsCheckpoints => _directory is not null && _store is { KeepsCheckpoints: true };

    /// <summary>
    /// Stores a checkpoint just written locally in the store (when it keeps checkpoints): compaction may drop the
    /// entries it covers only after this returned.
    /// </summary>
    public void PublishCheckpoint(Lsn lsn, string path)
    {
        if (KeepsCheckpoints)
        {
            _store!.PutCheckpoint(lsn, path);
        }
    }

    /// <summary>Deletes the store's checkpoints older than <paramref name="lsn"/> (after compacting to it).</summary>
    public void DeleteCheckpointsOlderThan(Lsn lsn)
    {
        if (KeepsCheckpoints)
        {
            foreach (Lsn older in _store!.Checkpoints().Where(c => c < lsn))
            {
                _store.DeleteCheckpoint(older);
            }
        }
    }

    /// <summary>The owner record of <paramref name="timeline"/> (<c>owners/{id}</c> in the store), or null (none, or a memory document).</summary>
    public TimelineOwnerRecord? ReadOwner(Mutations.TimelineId timeline)
    {
        string name = OwnerNote(timeline);
        return _store?.ReadNote(name) is { } bytes ? TimelineOwnerRecord.Parse(bytes, timeline.ToString()) : null;
    }

    /// <summary>Writes the owner record of <paramref name="timeline"/> durably (nothing for a memory document).</summary>
    public void WriteOwner(Mutations.TimelineId timeline, TimelineOwnerRecord record) => _store?.WriteNote(OwnerNote(timeline), record.Encode());

    /// <summary>
    /// The coordinator's in-flight note: a file in the directory (not fsynced, decision 0008's poison-pill rule), a note
    /// in a store that keeps checkpoints (so a server on another disk knows it), nothing for a memory document.
    /// </summary>
    public InFlightRecord OpenInFlight() => KeepsCheckpoints ? InFlightRecord.OpenNote(_store!) : InFlightRecord.Open(_directory);

    private static string OwnerNote(Mutations.TimelineId timeline) => "owners/" + timeline.ToString();

    private void CacheCheckpoints(IJournalStore store, Storage.Checkpoints.CheckpointStore local)
    {
        IReadOnlyList<Lsn> held = store.Checkpoints();
        foreach ((Lsn lsn, string path) in local.List())
        {
            if (!held.Contains(lsn))
            {
                File.Delete(path); // not the store's: a checkpoint whose upload never finished, or of another history
            }
        }

        if (held.Count > 0 && !File.Exists(local.PathFor(held[0])))
        {
            string path = local.PathFor(held[0]);
            string temp = path + DurableFile.TempSuffix;
            if (store.GetCheckpoint(held[0], temp))
            {
                File.Move(temp, path, overwrite: true);
            }
        }
    }

    /// <summary>Opens the storage journal, in segments of <paramref name="segmentSizeBytes"/> (compaction drops whole segments).</summary>
    public IJournal OpenStorage(long segmentSizeBytes) => OpenJournal("storage", batched: false, segmentSizeBytes);

    /// <summary>
    /// Segments of a timeline journal (a client's own, the coordinator's received ones). Applied entries are dropped
    /// a whole segment at a time, and a busy timeline always has entries not yet applied, so its active segment would
    /// only roll when full: small segments keep its disk and its open scan near what is not applied yet, not its history.
    /// </summary>
    public const long TimelineSegmentBytes = 1024 * 1024;

    /// <summary>Segments of a client's storage journal: its checkpoints drop whole segments, as the coordinator's do.</summary>
    public const long ClientStorageSegmentBytes = 4 * 1024 * 1024;

    /// <summary>Opens (or creates) the journal at <paramref name="relativePath"/>, in segments of <paramref name="segmentSizeBytes"/>.</summary>
    public IJournal Open(string relativePath, long segmentSizeBytes) => OpenJournal(relativePath, batched: false, segmentSizeBytes);

    /// <summary>
    /// Opens a journal whose appends are not made durable one by one: the caller makes a batch durable with
    /// <see cref="IJournal.Flush"/> (group commit) when <see cref="FsyncOnAppend"/> is set.
    /// </summary>
    public IJournal OpenBatched(string relativePath) => OpenJournal(relativePath, batched: true, TimelineSegmentBytes);

    /// <summary>The journals under <paramref name="relativePath"/> that exist (none for memory journals).</summary>
    public IEnumerable<string> Children(string relativePath) => _store?.Children(relativePath) ?? (IEnumerable<string>)Array.Empty<string>();

    private IJournal OpenJournal(string relativePath, bool batched, long segmentSizeBytes = FileJournalOptions.DefaultSegmentSizeBytes) =>
        _store is null ? new MemoryJournal() : _store.Open(relativePath, batched, _fsyncOnAppend, segmentSizeBytes);
}
