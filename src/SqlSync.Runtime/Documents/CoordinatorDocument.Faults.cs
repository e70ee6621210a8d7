using SqlSync.Journals;
using SqlSync.Storage;

namespace SqlSync.Documents;

/// <summary>
/// Storage faults: a write or fsync that fails (the disk full, an I/O error) pauses the document instead of
/// breaking it. The failed step or upload is undone (the journal cuts a half-written frame; the in-memory state
/// is reloaded from the journals), uploads are refused with <see cref="SqlSyncErrorCode.StorageUnavailable"/>,
/// and <see cref="StorageFaultRetry"/> reloads the document after a backoff, so it resumes by itself once the
/// disk has room again. Lock order: <c>_sync</c> only; events are raised after it is released.
/// </summary>
public sealed partial class CoordinatorDocument
{
    private readonly StorageFaultRetry _retry;

    /// <summary>The fault that paused the document; null while it runs. Under <c>_sync</c>.</summary>
    private Exception? _storageFault;

    /// <summary>A reload began and did not finish: the database and journals are closed. Under <c>_sync</c>.</summary>
    private bool _broken;

    /// <summary>Faults since the last write that succeeded: the retry's backoff grows with it.</summary>
    private int _consecutiveFaults;

    /// <summary>
    /// True while the document is paused after a storage fault (the disk full, an I/O error while writing):
    /// uploads are refused with <see cref="SqlSyncErrorCode.StorageUnavailable"/> and steps apply nothing until
    /// it has reloaded itself from its journals, which it retries with a growing delay.
    /// </summary>
    public bool IsPaused
    {
        get
        {
            lock (_sync) return _storageFault is not null;
        }
    }

    /// <summary>
    /// Raised (on a timer thread, with no lock held) when a paused document has reloaded itself and runs again:
    /// its queued mutations can be stepped.
    /// </summary>
    public event EventHandler? Resumed;

    /// <summary>Storage faults since the last successful write (the retry's backoff exponent).</summary>
    internal int ConsecutiveStorageFaults => Volatile.Read(ref _consecutiveFaults);

    /// <summary>A failure of the file system under the journals, as opposed to corruption or a bug.</summary>
    internal static bool IsStorageFailure(Exception e) =>
        (e is IOException or UnauthorizedAccessException
         || e is SqlSyncException { Code: SqlSyncErrorCode.JournalIo or SqlSyncErrorCode.StorageUnavailable })
        && !e.Data.Contains(SimulatedCrashKey);

    /// <summary>Marks what the <see cref="FaultInjection"/> hook threw: a simulated crash, never a storage fault.</summary>
    private const string SimulatedCrashKey = "SqlSync.SimulatedCrash";

    /// <summary>
    /// Resumes a paused document: reloads it from its journals first if the reload at the fault failed. True
    /// when it runs again; false (with the reason) when the reload failed again, and it stays paused.
    /// </summary>
    internal bool TryResume(out Exception? failure)
    {
        failure = null;
        lock (_sync)
        {
            if (_disposed || _storageFault is null)
            {
                return true;
            }

            if (!_broken || TryReload(out failure))
            {
                _storageFault = null;
            }
        }

        if (failure is not null)
        {
            _options.Warning?.Invoke($"Document '{DocumentId}' is still paused: reloading it from its journals failed: {failure.Message}");
            return false;
        }

        _options.Warning?.Invoke($"Document '{DocumentId}' resumed: reloaded from its journals after a storage fault.");
        Resumed?.Invoke(this, EventArgs.Empty);
        return true;
    }

    /// <summary>A resume that failed in an unexpected way (a bug, not a storage fault): reported, and tried again later.</summary>
    internal void ReportResumeFailure(Exception e) =>
        _options.Warning?.Invoke($"Document '{DocumentId}' is still paused: resuming it failed unexpectedly ({e.GetType().Name}: {e.Message}); it is tried again later.");

    /// <summary>Pauses the document for <paramref name="cause"/> (once) and returns the error for the caller.</summary>
    private SqlSyncException Pause(Exception cause)
    {
        bool first;
        lock (_sync)
        {
            first = _storageFault is null && !_disposed;
            if (first)
            {
                _storageFault = cause;
                _consecutiveFaults++;

                // Undo at once: whatever the failed write left in memory (a step committed in SQLite whose
                // storage entry was not written) is dropped, so reads show exactly what the journals hold.
                // Reopening needs no free space; if it fails anyway, reads are refused until the retry's reload.
                TryReload(out _);
            }
        }

        if (first)
        {
            // The full message (paths included) goes to the server's log only.
            _options.Warning?.Invoke($"Document '{DocumentId}' paused after a storage fault, retrying in {_retry.Delay(ConsecutiveStorageFaults).TotalSeconds:0.###} s: {cause.GetBaseException().Message}");
            _retry.Schedule();
        }

        return cause is SqlSyncException { Code: SqlSyncErrorCode.StorageUnavailable } paused ? paused : Unavailable(cause);
    }

    private void ThrowIfPaused()
    {
        ThrowIfFenced();
        if (_storageFault is { } fault)
        {
            throw Unavailable(fault);
        }
    }

    private void ThrowIfBroken()
    {
        if (_broken && _storageFault is { } fault)
        {
            throw Unavailable(fault);
        }
    }

    /// <summary>The error a paused document answers with: one line, no server path (it reaches clients).</summary>
    private SqlSyncException Unavailable(Exception cause)
    {
        var error = new SqlSyncException(SqlSyncErrorCode.StorageUnavailable,
            $"Document '{DocumentId}' is paused: the server could not write its storage ({StorageFaults.Describe(cause)}); " +
            "nothing acknowledged is lost, and it resumes by itself when the server's disk has room; retry later.", cause);
        error.Data["DocumentId"] = DocumentId;
        return error;
    }

    private bool TryReload(out Exception? failure)
    {
        failure = null;
        try
        {
            Reload();
            return true;
        }
        catch (Exception e) when (IsStorageFailure(e) || e is SqlSyncException)
        {
            failure = e;
            return false;
        }
    }

    /// <summary>Drops the in-memory state and opens it again from the journals (under <c>_sync</c>).</summary>
    private void Reload()
    {
        // Closed before reopening: a journal's lock file admits one open at a time, in this process too.
        _broken = true;
        _database.Dispose();
        foreach (IJournal journal in _received.Values)
        {
            journal.Dispose();
        }

        _received.Clear();
        _applied.Clear();
        _queue.Clear();
        _unsynced.Clear();
        _database = OpenDatabase(_journals, _options);
        try
        {
            // The in-flight note is kept as it is: a batch a fault stopped is no suspect of a crash.
            LoadCheckpointState();
            LoadState();

            // Entries appended before the fault but never synced may be in the page cache only, and a
            // client's resend of them is acknowledged as a duplicate without a flush: sync them now.
            if (_journals.FsyncOnAppend)
            {
                foreach (IJournal journal in _received.Values)
                {
                    if (journal is FileJournal file)
                    {
                        file.FlushWritten();
                    }
                    else
                    {
                        journal.Flush(); // a store's journal keeps what a failed flush did not write, and writes it now
                    }
                }
            }
        }
        catch
        {
            _database.Dispose();
            foreach (IJournal journal in _received.Values)
            {
                journal.Dispose();
            }

            _received.Clear();
            throw;
        }

        _broken = false;
    }

#pragma warning disable CA2000 // the database owns the storage journal from its constructor on, also when it throws
    private static DocumentDatabase OpenDatabase(JournalFactory journals, CoordinatorDocumentOptions options)
    {
        var database = new DocumentDatabase(options.DocumentId, "coordinator", journals.OpenCheckpoints(), journals.Warning, journals.OpenStorage(options.StorageSegmentBytes),
            options.Reducer, options.ReaderDrainTimeout, options.StatementCacheSize, options.Limits, options.PageCacheBytes);
        database.Storage.Deltas = options.PageDeltaBytes > 0 ? new PageDeltaLog(options.PageDeltaBytes) : null;
        return database;
    }
#pragma warning restore CA2000
}
