using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>The sync side of the local document: the seed's sync_prepare / sync_receive, and the rebase.</summary>
public sealed partial class LocalDocument
{
    /// <summary>
    /// The timeline entries the coordinator does not have, given the timeline range it last reported
    /// (sync_prepare). At most about <paramref name="maxBytes"/> of entries; null when there is nothing to send.
    /// </summary>
    internal JournalPartial? PrepareTimelineSync(LsnRange coordinatorTimelineRange, long maxBytes = DefaultMaxSyncBytes)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            LsnRange local = _timeline.Range;
            Lsn from = coordinatorTimelineRange.Next > local.First ? coordinatorTimelineRange.Next : local.First;
            // Entries that MutateAsync appended are uploaded once durable (TimelineFlusher.UploadBound).
            return JournalPartial.Read(_timeline, from, maxBytes, _flusher?.UploadBound);
        }
    }

    /// <summary>
    /// Takes storage entries from the coordinator (sync_receive): appends them, makes them visible, checks
    /// the database checksum at each one, and rebases. Entries this replica already has are skipped; a gap
    /// stops at the gap. Returns the replica's storage range, which the coordinator caches.
    /// </summary>
    internal LsnRange ReceiveStorage(JournalPartial partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        return ReceiveStorageBatch(new[] { partial })[0];
    }

    /// <summary>
    /// <see cref="ReceiveStorage"/> for several messages that arrived together (decision 0030): every
    /// entry is written, then one fsync makes them all durable, then one rebase shows them; returns the storage range
    /// after each message, each of which may then be acknowledged (all are durable). A failure before the fsync leaves
    /// nothing acknowledged.
    /// </summary>
    internal IReadOnlyList<LsnRange> ReceiveStorageBatch(IReadOnlyList<JournalPartial> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var ranges = new LsnRange[batch.Count];
        lock (_sync)
        {
            ThrowIfDisposed();
            _database.WithFileHeld(() =>
            {
                _database.Storage.Revert();
                uint schemaCookie = _database.File.CommittedSchemaCookie;
                for (int m = 0; m < batch.Count; m++)
                {
                    ApplyReceivedUnderHold(batch[m]);
                    ranges[m] = _database.Storage.Range;
                }

                _database.Storage.FlushReceived(_options.FsyncOnAppend);
                RebaseUnderHold(committedSchemaChanged: _database.File.CommittedSchemaCookie != schemaCookie);
                return true;
            });
            CheckpointIfDue();
        }

        _events.Drain();
        return ranges;
    }

    /// <summary>Appends (without its fsync) and shows the entries of one message that continue the storage; stops at a gap.</summary>
    private void ApplyReceivedUnderHold(JournalPartial partial)
    {
        for (int i = 0; i < partial.Entries.Count; i++)
        {
            var lsn = new Lsn(partial.Range.First.Value + (ulong)i);
            LsnRange held = _database.Storage.Range;
            if (lsn < held.Next)
            {
                continue;
            }

            if (lsn > held.Next)
            {
                break;
            }

            _database.Storage.ApplyReceivedBeforeFlush(lsn, partial.Entries[i]);
        }
    }

    /// <summary>
    /// Drops local changes, shows the coordinator's state as received so far, and applies again every
    /// mutation the coordinator has not applied. <see cref="ReceiveStorage"/> does this itself.
    /// </summary>
    public void Rebase()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            _database.WithFileHeld(() =>
            {
                RebaseUnderHold(committedSchemaChanged: false);
                return true;
            });
        }

        _events.Drain();
    }

    /// <summary>Test hook: flips a bit of a page of the coordinator state this replica holds.</summary>
    internal void CorruptStoragePageForTesting(uint pageNumber, int offset)
    {
        lock (_sync)
        {
            _database.Storage.CorruptCommittedPageForTesting(pageNumber, offset);
        }
    }

    private void RebaseUnderHold(bool committedSchemaChanged)
    {
        _database.Storage.Revert();
        _database.File.MarkChangedExternally(committedSchemaChanged);
        if (_options.VerifyFullChecksumOnRebase)
        {
            _database.Storage.VerifyFullChecksum();
        }

        DropAppliedAndReapply();
        RaiseChanged(DocumentChange.Rebased);
        _live?.AfterRebase();
    }

    /// <summary>
    /// Reads how far the coordinator applied this timeline, reports rejections among the newly applied,
    /// drops them from the timeline, and applies the rest again in one transaction.
    /// </summary>
    private void DropAppliedAndReapply()
    {
        Lsn? applied = _database.ReadAppliedLsn(TimelineId);
        if (applied is Lsn appliedLsn)
        {
            Lsn from = _appliedByCoordinator is Lsn previous ? previous.Next : _timeline.Range.First;
            if (appliedLsn >= from && MutationRejected is not null)
            {
                foreach (RejectedMutation rejection in ReadRejections(from, appliedLsn))
                {
                    _events.Enqueue(rejection);
                }
            }

            _appliedByCoordinator = appliedLsn;
            _timeline.DropPrefix(appliedLsn);
        }

        MigrateLocally();
        LsnRange pending = _timeline.Range;
        if (pending.IsEmpty)
        {
            return;
        }

        // A mutation whose interruption made SQLite roll back the whole transaction is left out and the
        // rest applied again from the start (each such pass leaves out one more, so this ends).
        var leftOut = new HashSet<ulong>();
        while (!TryReapply(pending, leftOut))
        {
        }
    }

    private bool TryReapply(LsnRange pending, HashSet<ulong> leftOut)
    {
        var sandbox = _database.Sandbox;
        sandbox.Begin();
        try
        {
            for (ulong lsn = pending.First.Value; lsn < pending.Next.Value; lsn++)
            {
                if (leftOut.Contains(lsn))
                {
                    continue;
                }

                // A mutation that fails against the new state is left out locally; the coordinator decides.
                _database.Applier.TryApply(TimelineId, new Lsn(lsn), _timeline.Read(new Lsn(lsn)).Span, useSavepoint: true, exactPages: false, out bool lost);
                if (lost)
                {
                    leftOut.Add(lsn);
                    sandbox.RollbackIfActive();
                    return false;
                }
            }

            sandbox.Commit();
            return true;
        }
        catch
        {
            sandbox.RollbackIfActive();
            throw;
        }
    }

    private List<RejectedMutation> ReadRejections(Lsn from, Lsn to)
    {
        var rejections = new List<RejectedMutation>();
        foreach (object?[] row in _database.Connection.Query(SystemTables.RejectionsInRangeSql,
                     new object?[] { TimelineId.ToString(), (long)from.Value, (long)to.Value }))
        {
            rejections.Add(new RejectedMutation(TimelineId, new Lsn((ulong)(long)row[0]!), (string)row[1]!));
        }

        return rejections;
    }
}
