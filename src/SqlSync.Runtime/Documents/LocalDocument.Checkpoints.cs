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

        long databaseBytes = (long)_database.Storage.CommittedSizeInPages * Storage.StorageFormat.PageSize;
        long threshold = Math.Max(_options.CheckpointMinJournalBytes, (long)(_options.CheckpointJournalRatio * databaseBytes));
        if (_database.Storage.BytesSinceCheckpoint >= threshold)
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

        PageSnapshot? snapshot = _database.Storage.Snapshot();
        if (snapshot is null || NewestCheckpointLsnLocked() == snapshot.Lsn)
        {
            return null;
        }

        CheckpointStore store = _checkpointStore;
        CancellationToken cancel = _checkpointCancel.Token;
        Task task = Task.Run(() =>
        {
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
                if (!_disposed)
                {
                    _newestCheckpoint = snapshot.Lsn;
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
}
