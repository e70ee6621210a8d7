using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// The group commit of a local document's timeline journal: <see cref="LocalDocument.MutateAsync"/> appends without
/// an fsync and registers here; a background loop takes the journal's active handle under the document's lock (for
/// microseconds), fsyncs it outside the lock, and completes every mutation appended before that fsync. Mutations
/// appended while an fsync runs share the next one. Lock order: the document lock, then <see cref="_gate"/> (a leaf);
/// tasks complete asynchronously, so no caller code runs on the flusher or under a lock.
/// </summary>
internal sealed class TimelineFlusher
{
    private readonly object _documentLock;
    private readonly FileJournal _journal;
    private readonly object _gate = new();
    private readonly Queue<(Lsn Lsn, TaskCompletionSource<Lsn> Done)> _waiting = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private Lsn _durableNext;
    private bool _closed;
    private long _flushes;

    /// <param name="documentLock">The lock that serializes the journal (the document's).</param>
    /// <param name="journal">The timeline journal; every entry it holds now is durable (the caller flushed it).</param>
    public TimelineFlusher(object documentLock, FileJournal journal)
    {
        _documentLock = documentLock;
        _journal = journal;
        _durableNext = journal.Range.Next;
        _ = Task.Run(RunAsync);
    }

    /// <summary>Raised on the flusher's thread, no lock held, after entries became durable: uploads may go on.</summary>
    public event Action? Durable;

    /// <summary>How many group fsyncs ran (tests and benchmarks).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>
    /// The LSN from which entries are not known durable yet while some wait, or null when none waits: a timeline
    /// entry is uploaded only once durable, so a crash can never make this client reuse an LSN the server holds.
    /// </summary>
    public Lsn? UploadBound
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count > 0 ? _durableNext : null;
            }
        }
    }

    /// <summary>Under the document lock, after <paramref name="lsn"/> was appended: completes once it is durable (call <see cref="Signal"/> after the lock).</summary>
    public Task<Lsn> Register(Lsn lsn)
    {
        lock (_gate)
        {
            if (_closed)
            {
                throw new SqlSyncException(SqlSyncErrorCode.DocumentClosed, "The timeline flusher is closed.");
            }

            var done = new TaskCompletionSource<Lsn>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue((lsn, done));
            return done.Task;
        }
    }

    /// <summary>
    /// Wakes the flusher for what <see cref="Register"/> queued. Called after the document lock is released: the flusher
    /// takes that lock first, and a flusher woken under it would only spin against the caller.
    /// </summary>
    public void Signal() => _signal.Writer.TryWrite(true);

    /// <summary>
    /// Under the document lock, before the journal is disposed: fsyncs what waits (inline) and completes it, or fails
    /// it with the fsync's error; the loop ends.
    /// </summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _signal.Writer.TryComplete();
            if (_waiting.Count == 0)
            {
                return;
            }
        }

        try
        {
            _journal.Flush();
            Complete(_journal.Range.Next, null);
        }
        catch (SqlSyncException e)
        {
            Complete(Lsn.Zero, e);
        }
    }

    private async Task RunAsync()
    {
        while (await _signal.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _signal.Reader.TryRead(out _);
            if (FlushOnce())
            {
                Durable?.Invoke();
            }
        }
    }

    /// <summary>One group commit; true when entries became durable.</summary>
    private bool FlushOnce()
    {
        SafeFileHandle handle;
        Lsn durableNext;
        string path;
        lock (_documentLock)
        {
            lock (_gate)
            {
                if (_closed || _waiting.Count == 0)
                {
                    return false; // Close made them durable (or failed them)
                }
            }

            try
            {
                handle = _journal.AcquireForGroupFlush(out durableNext, out path);
            }
            catch (SqlSyncException e)
            {
                Complete(Lsn.Zero, e); // the journal failed earlier or was disposed
                return false;
            }
        }

        Exception? failure = null;
        try
        {
            FileJournal.FlushAcquired(handle, path);
            Interlocked.Increment(ref _flushes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = e;
        }
        finally
        {
            handle.DangerousRelease();
        }

        if (failure is not null)
        {
            SqlSyncException error;
            lock (_documentLock)
            {
                error = _journal.GroupFlushFailed(failure);
            }

            Complete(Lsn.Zero, error);
            return false;
        }

        Complete(durableNext, null);
        return true;
    }

    /// <summary>Completes the waiters before <paramref name="durableNext"/>, or fails every waiter with <paramref name="error"/>.</summary>
    private void Complete(Lsn durableNext, SqlSyncException? error)
    {
        var done = new List<(Lsn Lsn, TaskCompletionSource<Lsn> Done)>();
        lock (_gate)
        {
            if (durableNext > _durableNext)
            {
                _durableNext = durableNext;
            }

            while (_waiting.TryPeek(out var next) && (error is not null || next.Lsn < _durableNext))
            {
                done.Add(_waiting.Dequeue());
            }
        }

        foreach ((Lsn lsn, TaskCompletionSource<Lsn> tcs) in done)
        {
            if (error is null)
            {
                tcs.TrySetResult(lsn);
            }
            else
            {
                tcs.TrySetException(error);
            }
        }
    }
}
