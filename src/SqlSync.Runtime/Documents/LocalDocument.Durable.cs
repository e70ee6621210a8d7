using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>Durable mutations that do not block their caller on I/O: group commit of the timeline journal.</summary>
public sealed partial class LocalDocument
{
    private TimelineFlusher? _flusher;

    /// <summary>Set when a failed write lost timeline entries this document had applied: every later use throws it.</summary>
    private SqlSyncException? _timelineLost;

    /// <summary>Raised (no lock held) when timeline entries appended by <see cref="MutateAsync"/> became durable: they may upload.</summary>
    internal event Action? TimelineDurable;

    /// <summary>Group fsyncs of the timeline so far (0 without a directory or with <see cref="LocalDocumentOptions.FsyncOnAppend"/> off).</summary>
    internal long TimelineFlushes => _flusher?.Flushes ?? 0;

    /// <summary>What the group commit's flusher does now (benchmarks); <see cref="FlusherPhase.Asleep"/> without one.</summary>
    internal FlusherPhase TimelineFlusherPhase => _flusher?.Phase ?? FlusherPhase.Asleep;

    /// <summary>
    /// Applies <paramref name="mutation"/> at once, as <see cref="Mutate(IMutation)"/> does, without waiting for the disk:
    /// the local database is updated and visible to reads (and <see cref="Changed"/> is raised) before this returns; the
    /// task completes when the mutation is durable in the timeline journal.
    /// </summary>
    /// <remarks>
    /// <para>The contract: a completed task means the mutation survives a crash or a power loss. A crash before it
    /// completes may lose this mutation and those made after it, never one whose task completed: the journal is cut at
    /// its first missing entry, so what survives is always a prefix of the order the mutations were applied in. Mutations
    /// made meanwhile share one fsync (group commit); a mutation is uploaded only once durable.</para>
    /// <para>Without a <see cref="LocalDocumentOptions.Directory"/>, or with <see cref="LocalDocumentOptions.FsyncOnAppend"/>
    /// off, the task completes at once (durability is then the operating system's).</para>
    /// <para>This call does no file I/O: the entry waits in memory (reads and a synchronous <see cref="Mutate(IMutation)"/>
    /// see it; a synchronous Mutate writes it first, so it is never durable before an earlier MutateAsync) and a
    /// background flusher writes and fsyncs it. Errors are thrown by this call as by <see cref="Mutate(IMutation)"/> (the
    /// mutation is neither applied nor journaled). A failed write or fsync faults the task (and those of every mutation
    /// after it) with <see cref="SqlSyncErrorCode.JournalIo"/>; after a failed write the document refuses further use
    /// until reopened, and the reopened document holds only what was durable. Disposing the document writes and fsyncs
    /// what waits first, or faults its tasks; none is dropped silently. <paramref name="cancellationToken"/> only stops the wait: a mutation that was applied stays
    /// applied and becomes durable anyway.</para>
    /// </remarks>
    public ValueTask<Lsn> MutateAsync(IMutation mutation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        cancellationToken.ThrowIfCancellationRequested();
        Lsn lsn;
        Task<Lsn>? durable = null;
        bool announced = AnnounceMutation();
        lock (_sync)
        {
            MutationEntered(announced);
            _writer.Reset();
            mutation.WriteTo(_writer);
            lsn = MutateOrRevertLocked(_writer.WrittenSpan, deferFsync: _flusher is not null);
            if (_flusher is not null)
            {
                durable = _flusher.Register(lsn);
            }
        }

        if (durable is null)
        {
            _events.Drain();
            return new ValueTask<Lsn>(lsn);
        }

        _flusher!.Signal();
        _events.Drain();

        return new ValueTask<Lsn>(cancellationToken.CanBeCanceled && !durable.IsCompleted ? durable.WaitAsync(cancellationToken) : durable);
    }

    /// <summary>At open: group commit for a file timeline that fsyncs, after making durable what an earlier process left unflushed.</summary>
    private void StartGroupCommit()
    {
        if (_timeline is not FileJournal file || !_options.FsyncOnAppend)
        {
            return;
        }

        lock (_sync)
        {
            file.FlushWritten();
            _flusher = new TimelineFlusher(_sync, file, RevertLostTimelineTailLocked, _events.Drain);
        }

        _flusher.Durable += () => TimelineDurable?.Invoke();
    }

    /// <summary>
    /// <see cref="MutateLocked"/>, after handling entries a failed deferred write lost (so their LSNs are given again only
    /// once their waiters failed), and again when this call met such a failure.
    /// </summary>
    private Lsn MutateOrRevertLocked(ReadOnlySpan<byte> record, bool deferFsync = false)
    {
        RevertLostTimelineTailLocked();
        try
        {
            return MutateLocked(record, deferFsync);
        }
        catch (SqlSyncException)
        {
            RevertLostTimelineTailLocked();
            throw;
        }
    }

    /// <summary>
    /// Under the document lock: when a write of the timeline's in-memory tail failed, the journal no longer holds those
    /// entries (nor any after them) and refuses further use; their waiters fault, and so does every later use of this
    /// document (<see cref="_timelineLost"/>): its database holds mutations its journal lost, and a document reopened
    /// from its directory shows exactly what the journal holds (docs/decisions/0019). False when nothing was lost.
    /// </summary>
    private bool RevertLostTimelineTailLocked()
    {
        if (_flusher is null || _disposed || ((FileJournal)_timeline).TakeLostTail() is not { } lost)
        {
            return false;
        }

        _timelineLost ??= new SqlSyncException(SqlSyncErrorCode.JournalIo,
            $"Local document '{DocumentId}' could not journal the mutations it applied from LSN {lost.From} on, so they were not kept "
            + $"({lost.Error.Message}); dispose it and open it again: it will show what its journal holds.", lost.Error);
        _flusher.FailFrom(lost.From, lost.Error);
        return true;
    }

    private void AppendToTimeline(ReadOnlySpan<byte> entry, bool deferFsync)
    {
        if (deferFsync)
        {
            ((FileJournal)_timeline).AppendDeferred(entry);
        }
        else
        {
            _timeline.Append(entry);
        }
    }

    /// <summary>
    /// How far the coordinator applied this timeline (as this replica last rebased on it) and the timeline's next LSN,
    /// read together: what <see cref="Transport.SqlSyncClient.WaitUntilSyncedAsync"/> waits on.
    /// </summary>
    internal (Lsn? Applied, Lsn Next) SyncPosition()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            return (_appliedByCoordinator ?? _database.ReadAppliedLsn(TimelineId), _timeline.Range.Next);
        }
    }

    /// <summary>This timeline's rejections with an LSN in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    internal IReadOnlyList<RejectedMutation> GetRejections(Lsn from, Lsn to)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            return from > to ? Array.Empty<RejectedMutation>() : ReadRejections(from, to);
        }
    }
}
