using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Documents;

/// <summary>
/// A client's checkpoints (decision 0017): of the coordinator's state it holds, written in the background; the
/// received entries before one are dropped at once (a client serves its storage to nobody).
/// </summary>
public sealed partial class LocalDocument
{
    private CheckpointStore? _checkpointStore;
    private Task? _checkpointTask;
    private readonly CancellationTokenSource _checkpointCancel = new();

    /// <summary>The LSN of the checkpoint this replica opened from or wrote last, or null.</summary>
    public Lsn? NewestCheckpointLsn
    {
        get
        {
            lock (_sync) return _newestCheckpoint ?? _database.Storage.LoadedCheckpoint?.Lsn;
        }
    }

    private Lsn? _newestCheckpoint;

    /// <summary>Writes a checkpoint of the received state now (in the background) and returns when it is on disk and the journal compacted.</summary>
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

    /// <summary>After entries were received (under <c>_sync</c>): the checkpoint policy.</summary>
    private void CheckpointIfDue()
    {
        if (_checkpointStore is null || !_options.Checkpoints || _checkpointTask is not null)
        {
            return;
        }

        if (_database.Storage.IsCheckpointDue(_options.CheckpointMinJournalBytes, _options.CheckpointJournalRatio))
        {
            StartCheckpoint();
        }
    }

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

        if (!_options.FsyncOnAppend)
        {
            _database.Storage.Journal.Flush(); // never checkpoint entries a crash could take from the journal
        }

#pragma warning disable CA2000 // disposed when refused below, else by the task that writes it
        PageSnapshot? snapshot = _database.Storage.Snapshot();
#pragma warning restore CA2000
        if (snapshot is null || NewestCheckpointLsnLocked() == snapshot.Lsn)
        {
            snapshot?.Dispose();
            return null;
        }

        CheckpointStore store = _checkpointStore;
        CancellationToken cancel = _checkpointCancel.Token;
        Task task = Task.Run(() =>
        {
            using PageSnapshot written = snapshot; // its share of the checkpoint file the view rests on, let go at the end
            try
            {
                CheckpointWriter.Write(store.PathFor(snapshot.Lsn), snapshot, cancel: cancel);
            }
            catch
            {
                lock (_sync) _checkpointTask = null;
                throw;
            }

            lock (_sync)
            {
                _checkpointTask = null;
                if (!_disposed && NewestCheckpointLsnLocked() is { } newer && newer > snapshot.Lsn)
                {
                    // A checkpoint download was installed while this one was written: the newest stays the newest.
                    try
                    {
                        File.Delete(store.PathFor(snapshot.Lsn));
                    }
                    catch (IOException)
                    {
                        // left behind; the next checkpoint's clean-up deletes what is older than it
                    }
                }
                else if (!_disposed)
                {
                    _newestCheckpoint = snapshot.Lsn;
                    _database.SwitchToCheckpoint(store.PathFor(snapshot.Lsn), snapshot, warning: null); // the pages it covers leave memory
                    if (_database.Storage.Range.First <= snapshot.Lsn)
                    {
                        _database.Storage.Journal.DropPrefix(snapshot.Lsn);
                    }

                    store.DeleteOlderThan(snapshot.Lsn);
                }
            }
        });
        _checkpointTask = task;
        return task;
    }

    private Lsn? NewestCheckpointLsnLocked() => _newestCheckpoint ?? _database.Storage.LoadedCheckpoint?.Lsn;

    private void StopCheckpoint()
    {
        Task? task;
        lock (_sync)
        {
            task = _checkpointTask;
        }

        _checkpointCancel.Cancel();
        try
        {
            task?.Wait();
        }
        catch (AggregateException)
        {
            // a checkpoint cut short is a temporary file, deleted at the next open; the journal keeps everything
        }

        _checkpointCancel.Dispose();
    }

    /// <summary>
    /// Raised as a checkpoint download from the server advances (bytes and pages of the total), after the document's
    /// lock is released; the last one has <see cref="Documents.CheckpointDownloadProgress.IsComplete"/> set.
    /// </summary>
    public event EventHandler<CheckpointDownloadProgress>? CheckpointDownloadProgress;

    /// <summary>
    /// Takes a slice of the server's checkpoint at <paramref name="lsn"/> (this replica's storage was behind what the
    /// server keeps). Slices are kept on disk, so a download cut short resumes where it stopped; a slice that does not
    /// start where the held bytes end is ignored (the result says where to go on). The last slice completes the file:
    /// it is validated, installed in place of this replica's storage, and pending mutations are rebased on top.
    /// </summary>
    internal CheckpointChunkResult ReceiveCheckpointChunk(Lsn lsn, long totalBytes, uint pages, long offset, ReadOnlySpan<byte> bytes)
    {
        CheckpointChunkResult result;
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_checkpointStore is not { } store)
            {
                if (offset == 0 && bytes.IsEmpty)
                {
                    // An offer: a server that keeps the entries sends them instead (a new client is offered the
                    // checkpoint first, decision 0042); one that dropped them sends a slice, refused below.
                    return new CheckpointChunkResult(Replication.Messages.CheckpointAckMessage.Declined, null);
                }

                throw new SqlSyncException(SqlSyncErrorCode.StorageCompacted,
                    $"Local document '{DocumentId}' is behind what the server keeps and must join from its checkpoint, which needs a Directory (a memory document cannot).");
            }

            if (lsn.Next <= _database.Storage.Range.Next)
            {
                return new CheckpointChunkResult(totalBytes, _database.Storage.Range); // holds that state already
            }

            long held = CheckpointDownload.Held(store, lsn, totalBytes);
            if (offset == held && bytes.Length > totalBytes - held)
            {
                // More than announced: never written past the end, reported as a corrupt download (decision 0036).
                return new CheckpointChunkResult(0, null) { Error = CheckpointDownload.Overrun(store, lsn, totalBytes, offset, bytes.Length) };
            }

            if (offset == held && !bytes.IsEmpty)
            {
                CheckpointDownload.Append(store, lsn, offset, bytes);
                held += bytes.Length;
            }

            result = new CheckpointChunkResult(held, null);
            if (held == totalBytes)
            {
                result = InstallDownloaded(store, lsn);
                held = result.Received; // 0 when it failed validation: the progress starts over, never "complete"
            }

            if (CheckpointDownloadProgress is not null)
            {
                uint pagesIn = (uint)Math.Min(pages, Math.Max(0, held / Storage.StorageFormat.PageSize - 1));
                _events.Enqueue(new CheckpointDownloadProgress(DocumentId, lsn, held, totalBytes, result.Installed is null ? pagesIn : pages, pages));
            }
        }

        _events.Drain();
        return result;
    }

    private CheckpointChunkResult InstallDownloaded(CheckpointStore store, Lsn lsn)
    {
        string path;
        try
        {
            path = CheckpointDownload.Complete(store, lsn);
        }
        catch (SqlSyncException e) when (e.Code == SqlSyncErrorCode.CheckpointCorrupt)
        {
            return new CheckpointChunkResult(0, null) { Error = e }; // deleted: reported to the server, which checks its copy
        }

        using CheckpointFile file = CheckpointFile.Open(path, CheckpointStore.LabelOf(path));
        return _database.WithFileHeld(() =>
        {
            _database.Storage.InstallCheckpoint(file, FreshStorageJournal);
            _newestCheckpoint = lsn;
            store.DeleteOlderThan(lsn);
            RebaseUnderHold(committedSchemaChanged: true);
            return new CheckpointChunkResult(file.Header.FileLength, _database.Storage.Range);
        });
    }

    /// <summary>
    /// Moves the storage journal aside and opens an empty one (it continues the installed checkpoint at any LSN). A
    /// crash before the move leaves the old journal, which does not continue the new checkpoint: the open passes
    /// the checkpoint over and the download happens again; after it, the empty journal continues the checkpoint.
    /// </summary>
    private IJournal FreshStorageJournal()
    {
        string directory = _options.Directory!;
        string storage = Path.Combine(directory, "storage");
        string aside = Path.Combine(directory, StorageAside);
        if (System.IO.Directory.Exists(aside))
        {
            System.IO.Directory.Delete(aside, recursive: true);
        }

        System.IO.Directory.Move(storage, aside);
        DurableFile.FlushDirectory(directory);
        IJournal journal = new JournalFactory(directory, _options.FsyncOnAppend).Open("storage", JournalFactory.ClientStorageSegmentBytes);
        System.IO.Directory.Delete(aside, recursive: true);
        return journal;
    }

    /// <summary>Where a replaced storage journal goes before it is deleted; a leftover is deleted at open.</summary>
    internal const string StorageAside = "storage.replaced";
}
