using System.Threading.Channels;
using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// The group commit of a local document's timeline journal: <see cref="LocalDocument.MutateAsync"/> appends to the
/// journal's in-memory tail (no file touched) and registers here; a background loop takes that tail under the
/// document's lock (for microseconds), writes and fsyncs it outside the lock, and completes every mutation appended
/// before. Mutations appended while a write and fsync run share the next ones. A failed write loses the entries from
/// the first one it held (the journal keeps a prefix of its order): their waiters fault, the document reverts them. Lock order: the document lock, then <see cref="_gate"/> (a leaf);
/// tasks complete asynchronously, so no caller code runs on the flusher or under a lock.
/// </summary>
internal sealed class TimelineFlusher
{
    private readonly object _documentLock;
    private readonly FileJournal _journal;
    private readonly object _gate = new();
    private readonly Func<bool> _revertLostLocked;
    private readonly Action _afterRevert;
    private Queue<(Lsn Lsn, int Generation, TaskCompletionSource<Lsn> Done)> _waiting = new();
    private int _generation;
    private bool _revertedPending;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private Lsn _durableNext;
    private volatile bool _closed;
    private long _flushes;

    /// <summary>Incremented by every <see cref="Signal"/>: the flusher, spinning after a flush, watches it.</summary>
    private long _signals;

    /// <summary>1 while the flusher spins for the next mutation: <see cref="Signal"/> then wakes nobody.</summary>
    private int _spinning;

    /// <summary>1 from the flusher's wake-up until it goes back to sleep (its spins included): <see cref="Phase"/>.</summary>
    private int _awake;

    /// <summary>What the flusher does now, for the benchmark that attributes a caller's slow calls to causes.</summary>
    internal FlusherPhase Phase => Volatile.Read(ref _spinning) == 1 ? FlusherPhase.Watching
        : Volatile.Read(ref _awake) == 1 ? FlusherPhase.Flushing : FlusherPhase.Asleep;

    /// <param name="documentLock">The lock that serializes the journal (the document's).</param>
    /// <param name="journal">The timeline journal; every entry it holds now is durable (the caller flushed it).</param>
    /// <param name="revertLostLocked">Under the document lock: handles entries a failed write lost (<see cref="FailFrom"/>, then the
    /// document drops them from its state); false when none was lost.</param>
    /// <param name="afterRevert">After the lock, when something was reverted: raises the document's events.</param>
    public TimelineFlusher(object documentLock, FileJournal journal, Func<bool> revertLostLocked, Action afterRevert)
    {
        _documentLock = documentLock;
        _journal = journal;
        _revertLostLocked = revertLostLocked;
        _afterRevert = afterRevert;
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
            _waiting.Enqueue((lsn, _generation, done));
            return done.Task;
        }
    }

    /// <summary>
    /// Under the document lock: the journal lost its entries from <paramref name="from"/> on (a failed write); their
    /// waiters fault with <paramref name="error"/>. Those LSNs will be given again: later fsyncs taken before this call
    /// complete only the waiters registered before it (a generation tells them apart).
    /// </summary>
    public void FailFrom(Lsn from, SqlSyncException error)
    {
        var failed = new List<TaskCompletionSource<Lsn>>();
        lock (_gate)
        {
            var kept = new Queue<(Lsn Lsn, int Generation, TaskCompletionSource<Lsn> Done)>();
            foreach (var waiter in _waiting)
            {
                if (waiter.Generation == _generation && waiter.Lsn >= from)
                {
                    failed.Add(waiter.Done);
                }
                else
                {
                    kept.Enqueue(waiter);
                }
            }

            _waiting = kept;
            _generation++;
            if (_durableNext > from)
            {
                _durableNext = from;
            }
        }

        failed.ForEach(tcs => tcs.TrySetException(error));
    }

    /// <summary>How long the flusher watches for the next mutation after a flush before it sleeps (decision 0032).</summary>
    internal static readonly TimeSpan HandOffSpin = TimeSpan.FromMicroseconds(200);

    /// <summary>Once a mutation came during the spin, how long the flusher waits for another before it flushes them together.</summary>
    internal static readonly TimeSpan HandOffGather = TimeSpan.FromMicroseconds(20);

    /// <summary>
    /// Wakes the flusher for what <see cref="Register"/> queued. Called after the document lock is released: the flusher
    /// takes that lock first, and a flusher woken under it would only spin against the caller. While the flusher spins
    /// after a flush (a caller that awaited its last mutation makes the next one within microseconds) this is two
    /// interlocked operations: waking a sleeping thread costs a system call, and the woken thread can preempt the caller
    /// on its core, which is where the blocking time's tail came from (decision 0032).
    /// </summary>
    public void Signal()
    {
        Interlocked.Increment(ref _signals); // a full fence: the read below cannot move before it (see AwaitNextSignal)
        if (Volatile.Read(ref _spinning) == 0)
        {
            _signal.Writer.TryWrite(true);
        }
    }

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
            if (_journal.TakeLostTail() is { } lost)
            {
                FailFrom(lost.From, lost.Error);
            }

            _journal.Flush(); // writes the in-memory tail, then fsyncs: nothing queued is dropped silently
            Complete(_journal.Range.Next, null, CurrentGeneration());
        }
        catch (SqlSyncException e)
        {
            Complete(Lsn.Zero, e, CurrentGeneration());
        }
    }

    private int CurrentGeneration()
    {
        lock (_gate)
        {
            return _generation;
        }
    }

    private async Task RunAsync()
    {
        while (await _signal.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Volatile.Write(ref _awake, 1);
            _signal.Reader.TryRead(out _);
            long seen;
            do
            {
                seen = Interlocked.Read(ref _signals);
                if (FlushOnce())
                {
                    Durable?.Invoke();
                }

                if (_revertedPending)
                {
                    _revertedPending = false;
                    _afterRevert();
                }
            }
            while (AwaitNextSignal(seen));
            Volatile.Write(ref _awake, 0);
        }
    }

    /// <summary>
    /// After a flush: spins for at most <see cref="HandOffSpin"/> until a <see cref="Signal"/> after <paramref name="seen"/>,
    /// then gathers while more follow (each within <see cref="HandOffGather"/> of the last, for at most another
    /// <see cref="HandOffSpin"/>), so that writers woken by the same fsync share the next one; true when a signal came
    /// (flush again, nobody had to be woken). Dekker-style with <see cref="Signal"/>: the signal count is written before
    /// the spinning flag is read there, and the flag is cleared before the count is read again here, both with full
    /// fences, so a signal is either seen here or wakes the loop through the channel (at worst both: one empty flush).
    /// </summary>
    private bool AwaitNextSignal(long seen)
    {
        if (Interlocked.Read(ref _signals) != seen)
        {
            return !_closed; // mutations came during the flush: they had its fsync's time to gather
        }

        Volatile.Write(ref _spinning, 1);
        Interlocked.MemoryBarrier();
        long spinTicks = (long)(HandOffSpin.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        long gatherTicks = (long)(HandOffGather.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + spinTicks;
        long last = seen;
        long quietUntil = 0;
        var spin = default(SpinWait);
        while (!_closed)
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            long current = Volatile.Read(ref _signals);
            if (current != last)
            {
                if (last == seen)
                {
                    deadline = now + spinTicks; // the gathering's own bound
                }

                last = current;
                quietUntil = now + gatherTicks;
            }

            if (now >= deadline || (last != seen && now >= quietUntil))
            {
                break;
            }

            spin.SpinOnce(sleep1Threshold: -1); // yields the core to runnable threads after a few spins; never sleeps 1 ms
        }

        Interlocked.Exchange(ref _spinning, 0);
        return Interlocked.Read(ref _signals) != seen && !_closed;
    }

    /// <summary>One group commit; true when entries became durable.</summary>
    private bool FlushOnce()
    {
        DeferredWrite taken;
        Lsn durableNext;
        int generation;
        lock (_documentLock)
        {
            RevertLostLocked(); // a synchronous step may have met a failed write first

            lock (_gate)
            {
                if (_closed || _waiting.Count == 0)
                {
                    return false; // Close made them durable (or failed them)
                }

                generation = _generation;
            }

            try
            {
                taken = _journal.TakeForGroupFlush(out durableNext);
            }
            catch (SqlSyncException e)
            {
                Complete(Lsn.Zero, e, generation); // the journal failed earlier or was disposed
                return false;
            }
        }

        Exception? failure = null;
        try
        {
            _journal.WriteTaken(taken); // unless a synchronous step wrote it meanwhile, to keep the order
            if (taken.Failure is null)
            {
                FileJournal.FlushAcquired(taken);
                Interlocked.Increment(ref _flushes);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = e;
        }
        finally
        {
            FileJournal.FinishGroupFlush(taken);
        }

        if (taken.Failure is not null)
        {
            lock (_documentLock)
            {
                RevertLostLocked();
            }

            return false;
        }

        if (failure is not null)
        {
            SqlSyncException error;
            lock (_documentLock)
            {
                error = _journal.GroupFlushFailed(failure);
            }

            Complete(Lsn.Zero, error, generation);
            return false;
        }

        Complete(durableNext, null, generation);
        return true;
    }

    /// <summary>Under the document lock: lets the document handle entries a failed write lost; its events are raised once the lock is released.</summary>
    private bool RevertLostLocked()
    {
        if (!_revertLostLocked())
        {
            return false;
        }

        _revertedPending = true;
        return true;
    }

    /// <summary>
    /// Completes the waiters before <paramref name="durableNext"/> registered in <paramref name="generation"/> (and those
    /// of earlier generations: the fsync covered the whole file before them), or fails every waiter with <paramref name="error"/>.
    /// </summary>
    private void Complete(Lsn durableNext, SqlSyncException? error, int generation)
    {
        var done = new List<(Lsn Lsn, int Generation, TaskCompletionSource<Lsn> Done)>();
        lock (_gate)
        {
            if (generation == _generation && durableNext > _durableNext)
            {
                _durableNext = durableNext;
            }

            while (_waiting.TryPeek(out var next)
                && (error is not null || next.Generation < generation || (next.Generation == generation && next.Lsn < durableNext)))
            {
                done.Add(_waiting.Dequeue());
            }
        }

        foreach ((Lsn lsn, _, TaskCompletionSource<Lsn> tcs) in done)
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
