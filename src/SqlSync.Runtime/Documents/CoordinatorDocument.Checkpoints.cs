using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Documents;

/// <summary>Checkpoints and compaction of the storage journal (decision 0017).</summary>
public sealed partial class CoordinatorDocument
{
    private CheckpointStore? _checkpointStore;
    private Task? _checkpointTask;
    private readonly CancellationTokenSource _checkpointCancel = new();
    private DateTime _checkpointRetryAfter;

    /// <summary>The newest checkpoint written or loaded, and when (for the retention of what it replaces).</summary>
    private (Lsn Lsn, DateTime At)? _newestCheckpoint;

    // Checkpoints not yet compacted to, oldest first, with when each was written: each one's retention runs from its own
    // birth, so a document that checkpoints more often than the retention still compacts (to the newest old enough).
    private readonly List<(Lsn Lsn, DateTime At)> _uncompacted = new();
    private Lsn? _compactedTo;

    /// <summary>Test hook: called at each point of writing a checkpoint and compacting; throwing there simulates a crash.</summary>
    internal Action<CheckpointWritePoint>? CheckpointFaultInjection { get; set; }

    /// <summary>The LSN of the newest checkpoint on disk, or null.</summary>
    public Lsn? NewestCheckpointLsn
    {
        get
        {
            lock (_sync) return _newestCheckpoint?.Lsn;
        }
    }

    /// <summary>
    /// Writes a checkpoint of the committed pages now, in the background (steps go on), and returns when it is
    /// on disk (after one being written already, if any). Completes at once for a memory document, before the
    /// first entry, or when the newest checkpoint is of the newest entry already.
    /// </summary>
    public Task CheckpointAsync()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_checkpointTask is { } running)
            {
                // it may cover an older LSN: write one of the end once it is done
                return running.ContinueWith(_ => CheckpointAsync(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }

            return StartCheckpoint() ?? Task.CompletedTask;
        }
    }

    /// <summary>
    /// Drops the storage entries up to the newest checkpoint and the older checkpoints now, whatever the
    /// retention (tools and tests; the document does it by itself after <see cref="CoordinatorDocumentOptions.StorageRetention"/>).
    /// </summary>
    public void CompactNow()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_newestCheckpoint is { } newest)
            {
                Compact(newest.Lsn);
            }
        }
    }

    /// <summary>
    /// The checkpoint a replica behind the kept entries starts from: the newest on disk, with its file length and
    /// pages; null when there is none (a memory document, or nothing compacted).
    /// </summary>
    internal (Lsn Lsn, long Length, uint Pages)? CheckpointForReplica()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_newestCheckpoint is not { } newest || _checkpointStore is null)
            {
                return null;
            }

            try
            {
                using var file = CheckpointFile.Open(_checkpointStore.PathFor(newest.Lsn), CheckpointStore.LabelOf(_checkpointStore.PathFor(newest.Lsn)));
                return (newest.Lsn, file.Header.FileLength, file.Header.DatabaseSizeInPages);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes of the checkpoint at <paramref name="lsn"/> from
    /// <paramref name="offset"/>, positionally (never the whole file); null when that checkpoint is gone (compacted
    /// away: the replica starts over from the newest).
    /// </summary>
    internal byte[]? ReadCheckpointForReplica(Lsn lsn, long offset, int count)
    {
        CheckpointStore? store;
        lock (_sync)
        {
            ThrowIfDisposed();
            store = _checkpointStore;
        }

        if (store is null)
        {
            return null;
        }

        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(store.PathFor(lsn), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            byte[] bytes = new byte[(int)Math.Clamp(length - offset, 0, count)];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(read), offset + read);
                if (n == 0)
                {
                    return null;
                }

                read += n;
            }

            return bytes;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>How many checkpoint files a replica reported corrupt and the server found corrupt too (each was replaced).</summary>
    public int CorruptCheckpointsFound
    {
        get
        {
            lock (_sync) return _corruptCheckpointsFound;
        }
    }

    private int _corruptCheckpointsFound;

    // The checkpoint last validated whole after a replica's report: reports of it again cost no second read.
    private Lsn? _checkpointFoundSound;

    // A checkpoint found corrupt, kept (the view reads from it): reports of it again cost no read.
    private Lsn? _checkpointFoundCorrupt;

    /// <summary>The checkpoint at <paramref name="lsn"/> was found corrupt here and kept (a new replica takes the kept entries instead, decision 0042).</summary>
    internal bool IsCheckpointKnownCorrupt(Lsn lsn)
    {
        lock (_sync) return _checkpointFoundCorrupt == lsn;
    }

    /// <summary>
    /// A replica downloaded the checkpoint at <paramref name="lsn"/> whole and it failed validation there (decision
    /// 0027): validates the server's copy (once per checkpoint, whatever replicas report). Returns true when it is sound
    /// (or gone, compacted away meanwhile); false when it is corrupt: then it is kept and reported once (the view reads
    /// its pages from checkpoint files, decision 0026, so only a backup restores the damaged pages).
    /// </summary>
    internal bool CheckCheckpointForReplica(Lsn lsn)
    {
        CheckpointStore? store;
        lock (_sync)
        {
            ThrowIfDisposed();
            store = _checkpointStore;
            if (store is null || _checkpointFoundSound == lsn)
            {
                return true;
            }

            if (_checkpointFoundCorrupt == lsn)
            {
                return false; // known corrupt and kept (ReportCorruptCheckpoint): not read again for every report
            }
        }

        string path = store.PathFor(lsn);
        try
        {
            using CheckpointFile file = CheckpointFile.Open(path, CheckpointStore.LabelOf(path));
            file.Validate();
            if (file.Header.Lsn != lsn)
            {
                throw new SqlSyncException(SqlSyncErrorCode.CheckpointCorrupt, $"Checkpoint '{CheckpointStore.LabelOf(path)}' covers LSN {file.Header.Lsn}, not {lsn}.");
            }
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        catch (SqlSyncException e) when (e.Code == SqlSyncErrorCode.CheckpointCorrupt)
        {
            ReportCorruptCheckpoint(lsn, e);
            return false;
        }

        lock (_sync) _checkpointFoundSound = lsn;
        return true;
    }

    /// <summary>
    /// A checkpoint the server's own validation found corrupt is kept and reported once (decision 0027, amended). A
    /// document with a checkpoint store always has a page cache (DocumentDatabase opens storage with one whenever it
    /// has a store), so its view reads pages from its checkpoint files: the damaged pages exist nowhere else and no
    /// checkpoint can be written in its place. The sound pages still serve the document; later reports of it are
    /// answered without reading it again, and links refuse the download after their limit.
    /// </summary>
    private void ReportCorruptCheckpoint(Lsn lsn, SqlSyncException corrupt)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_checkpointFoundCorrupt == lsn)
            {
                return;
            }

            _checkpointFoundCorrupt = lsn;
            _corruptCheckpointsFound++;
            _options.Warning?.Invoke($"Document '{DocumentId}': a replica found the checkpoint at LSN {lsn} corrupt, and so does the server: " +
                $"{corrupt.Message} The document's pages are read from that file, so it cannot be rewritten: restore the document " +
                "from a backup. Until then new replicas join from the entries while they are kept, and replicas behind them cannot join.");
        }
    }

    /// <summary>After open (under <c>_sync</c>): where checkpoints live and which one the view came from.</summary>
    private void LoadCheckpointState()
    {
        _checkpointStore ??= _journals.OpenCheckpoints();
        if (_database.Storage.LoadedCheckpoint is { } loaded)
        {
            // Its retention runs from when it was written, not from this open: a document that closes when idle and
            // opens again before the retention ends would otherwise never compact.
            DateTime written = _checkpointStore is null ? DateTime.UtcNow : WrittenAt(_checkpointStore.PathFor(loaded.Lsn));
            _newestCheckpoint = (loaded.Lsn, written);
            _uncompacted.Add((loaded.Lsn, written));
        }
    }

    /// <summary>After a step (under <c>_sync</c>): the checkpoint policy, then the compaction whose retention ran out.</summary>
    private void AfterStep()
    {
        if (_checkpointStore is null || !_options.Checkpoints)
        {
            return;
        }

        CompactWhatIsDue();

        if (_checkpointTask is null && _database.Storage.IsCheckpointDue(_options.CheckpointMinJournalBytes, _options.CheckpointJournalRatio)
            && DateTime.UtcNow >= _checkpointRetryAfter)
        {
            StartCheckpoint();
        }
    }

    /// <summary>
    /// Takes a snapshot of the committed pages (O(size) references under the lock) and writes it on a
    /// background task. Under <c>_sync</c>.
    /// </summary>
    private Task? StartCheckpoint()
    {
        if (_checkpointTask is { } running)
        {
            return running;
        }

        if (_checkpointStore is null)
        {
            return null;
        }

#pragma warning disable CA2000 // disposed when refused below, else by the task that writes it
        PageSnapshot? snapshot = _database.Storage.Snapshot();
#pragma warning restore CA2000
        if (snapshot is null || _newestCheckpoint?.Lsn == snapshot.Lsn)
        {
            snapshot?.Dispose();
            return null;
        }

        // A checkpoint must never cover entries the journal could lose in a crash. The fsync that makes them durable runs
        // on the task, outside the lock (a step waiting for it was a third of the round-trip tail, issue 13).
        (FileJournal Journal, SafeFileHandle Handle, string Path)? unflushed = null;
        if (!_journals.FsyncOnAppend && _database.Storage.Journal is FileJournal journal
            && journal.AcquireForFlush(out string segmentPath) is { } handle)
        {
            unflushed = (journal, handle, segmentPath);
        }

        CheckpointStore store = _checkpointStore;
        Action<CheckpointWritePoint>? fault = CheckpointFaultInjection;
        CancellationToken cancel = _checkpointCancel.Token;
        Task task = Task.Run(() =>
        {
            using (snapshot)
            {
                if (unflushed is { } flush)
                {
                    FlushBeforeCheckpoint(flush.Journal, flush.Handle, flush.Path, snapshot.Lsn);
                }

                WriteCheckpoint(store, snapshot, fault, cancel);
            }
        });
        _checkpointTask = task;
        return task;
    }

    /// <summary>
    /// The fsync of the entries a checkpoint covers, outside the lock. A failed fsync leaves the journal's state unknown,
    /// so the journal refuses further use (the document's fault handling reopens it) and no checkpoint is written.
    /// </summary>
    private void FlushBeforeCheckpoint(FileJournal journal, SafeFileHandle handle, string path, Lsn lsn)
    {
        try
        {
            FileJournal.FlushAcquired(handle, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SqlSyncException error;
            lock (_sync)
            {
                _checkpointTask = null;
                _checkpointRetryAfter = DateTime.UtcNow + _options.StorageRetryMaxDelay;
                error = _disposed ? new SqlSyncException(SqlSyncErrorCode.JournalIo, $"The flush before the checkpoint at LSN {lsn} failed: {StorageFaults.Describe(e)}.", e) : journal.GroupFlushFailed(e);
            }

            _options.Warning?.Invoke($"Document '{DocumentId}': the flush before the checkpoint at LSN {lsn} failed ({error.Message}); no checkpoint was written.");
            throw error;
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    private void WriteCheckpoint(CheckpointStore store, PageSnapshot snapshot, Action<CheckpointWritePoint>? fault, CancellationToken cancel)
    {
        string path = store.PathFor(snapshot.Lsn);
        try
        {
            CheckpointWriter.Write(path, snapshot, fault, cancel);

            // Journals in a store that keeps checkpoints: the store's copy is the checkpoint, the file its cache; nothing
            // compacts to it before the store holds it (decision 0037).
            _journals.PublishCheckpoint(snapshot.Lsn, path);
        }
        catch (Exception e)
        {
            TryDelete(path + DurableFile.TempSuffix);
            if (_journals.KeepsCheckpoints)
            {
                TryDelete(path); // never published: a cache of nothing the store holds
            }

            lock (_sync)
            {
                _checkpointTask = null;
                _checkpointRetryAfter = DateTime.UtcNow + _options.StorageRetryMaxDelay;
            }

            if (e is not OperationCanceledException && !e.Data.Contains(SimulatedCrashKey))
            {
                _options.Warning?.Invoke($"Document '{DocumentId}': writing the checkpoint at LSN {snapshot.Lsn} failed ({StorageFaults.Describe(e)}); the journal keeps everything and it is tried again later.");
            }

            throw;
        }

        lock (_sync)
        {
            _checkpointTask = null;
            if (!_disposed && (_newestCheckpoint is null || _newestCheckpoint.Value.Lsn < snapshot.Lsn))
            {
                _newestCheckpoint = (snapshot.Lsn, DateTime.UtcNow);
                _uncompacted.Add(_newestCheckpoint.Value);
                _database.SwitchToCheckpoint(path, snapshot, _options.Warning); // the pages it covers leave memory
                if (_options.StorageRetention == TimeSpan.Zero)
                {
                    Compact(snapshot.Lsn);
                }
            }
        }
    }

    /// <summary>
    /// Compacts to the newest checkpoint whose own retention has run out (under <c>_sync</c>); the checkpoints after it
    /// and the entries they cover stay until theirs has.
    /// </summary>
    private void CompactWhatIsDue()
    {
        if (_options.StorageRetention is not { } retention)
        {
            return;
        }

        DateTime now = DateTime.UtcNow;
        int due = _uncompacted.FindLastIndex(c => now - c.At >= retention);
        if (due >= 0)
        {
            Compact(_uncompacted[due].Lsn);
        }
    }

    private static DateTime WrittenAt(string path)
    {
        try
        {
            return File.GetLastWriteTimeUtc(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DateTime.UtcNow; // the retention starts again: a replica may be reading
        }
    }

    /// <summary>
    /// Drops the storage entries up to <paramref name="lsn"/> (durably, start marker first), then deletes the
    /// older checkpoint files. A crash between the two leaves an older checkpoint the journal no longer
    /// continues: harmless, the newest is chosen at open and the next compaction deletes it. Under <c>_sync</c>.
    /// </summary>
    private void Compact(Lsn lsn)
    {
        if (_compactedTo is { } done && done >= lsn)
        {
            return; // nothing new to drop: no directory listing per step
        }

        _compactedTo = lsn;
        _uncompacted.RemoveAll(c => c.Lsn < lsn);
        if (_checkpointStore is null || _database.Storage.Range.First > lsn)
        {
            _checkpointStore?.DeleteOlderThan(lsn);
            DeleteStoredCheckpointsOlderThan(lsn);
            return;
        }

        _database.Storage.Journal.DropPrefix(lsn);
        CheckpointFaultInjection?.Invoke(CheckpointWritePoint.AfterDropPrefix);
        _checkpointStore.DeleteOlderThan(lsn);
        DeleteStoredCheckpointsOlderThan(lsn);
    }

    /// <summary>
    /// The store's checkpoints older than the one compacted to (when it keeps them). A failure is told and left: the
    /// next compaction deletes them, and opening uses the newest.
    /// </summary>
    private void DeleteStoredCheckpointsOlderThan(Lsn lsn)
    {
        try
        {
            _journals.DeleteCheckpointsOlderThan(lsn);
        }
        catch (SqlSyncException e) when (e.Code is SqlSyncErrorCode.JournalIo or SqlSyncErrorCode.ObjectStoreAccessDenied)
        {
            _options.Warning?.Invoke($"Document '{DocumentId}': deleting checkpoints older than LSN {lsn} from the store failed ({e.Message}); the next compaction tries again.");
        }
    }

    /// <summary>Stops a checkpoint being written (on dispose, outside <c>_sync</c>) and waits for it to end.</summary>
    private void StopCheckpoint(Task? task)
    {
        _checkpointCancel.Cancel();
        try
        {
            task?.Wait();
        }
        catch (AggregateException)
        {
            // its failure was reported (or it was the test's simulated crash); the journal keeps everything
        }

        _checkpointCancel.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
