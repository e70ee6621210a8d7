using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>Applying received mutations: the coordinator's step.</summary>
public sealed partial class CoordinatorDocument
{
    /// <summary>
    /// Applies up to <paramref name="maxMutations"/> queued mutations in one SQLite transaction and publishes
    /// the pages they wrote as one storage entry. Returns how many were applied (rejections included).
    /// </summary>
    /// <remarks>
    /// A storage fault (the disk full, an I/O error while writing) pauses the document (<see cref="IsPaused"/>):
    /// the step is undone, and until the document has reloaded itself from its journals (after a backoff,
    /// <see cref="CoordinatorDocumentOptions.StorageRetryMinDelay"/>) steps apply nothing and return 0.
    /// Nothing acknowledged is lost and nothing is applied twice, because the applied LSNs commit with the
    /// effects. Any other exception means the document's state is no longer trusted: dispose it.
    /// It throws <see cref="SqlSyncErrorCode.DocumentBusy"/> when a reader on <see cref="ReadOnlyConnectionString"/> held a read
    /// transaction for longer than <see cref="CoordinatorDocumentOptions.ReaderDrainTimeout"/>: then nothing
    /// changed, and the document may simply step again later.
    /// </remarks>
    public int Step(int maxMutations = 1)
    {
        if (maxMutations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMutations), "A step applies at least one mutation.");
        }

        try
        {
            return StepLocked(maxMutations);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            _ = Pause(e);
            return 0;
        }
        catch (Exception e) when (IsFencedError(e))
        {
            throw Fence(e);
        }
    }

    private int StepLocked(int maxMutations)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            ThrowIfFenced();
            if (_storageFault is not null)
            {
                return 0; // paused: the retry reloads the document, then steps go on
            }

            if (_queue.Count == 0 && _suspects.Count == 0)
            {
                return 0;
            }

            // Readers out from before the transaction until the pages are published, or DocumentBusy with
            // nothing dequeued: a reader's read transaction can delay a step (bounded), never break it half way.
            using DocumentDatabase.FileHold hold = _database.HoldFile();
            var batch = new List<(TimelineId Timeline, Lsn Lsn)>(Math.Min(maxMutations, _queue.Count));
            var appliedInBatch = new Dictionary<TimelineId, Lsn>();
            int strikes = 0;
            while (batch.Count == 0 && _suspects.TryDequeue(out var suspect))
            {
                // In flight at the last stop: alone in its step, so a second stop names it exactly.
                if (!_applied.TryGetValue(suspect.Timeline, out Lsn last) || suspect.Lsn > last)
                {
                    batch.Add(suspect);
                    appliedInBatch[suspect.Timeline] = suspect.Lsn;
                    strikes = 1;
                }
            }

            while (batch.Count < maxMutations && strikes == 0 && _queue.TryDequeue(out var item))
            {
                Lsn? applied = appliedInBatch.TryGetValue(item.Timeline, out Lsn inBatch) ? inBatch
                    : _applied.TryGetValue(item.Timeline, out Lsn committed) ? committed : null;
                if (applied is Lsn last && item.Lsn <= last)
                {
                    continue; // already applied: a duplicate delivery or a re-queue after restart
                }

                batch.Add(item);
                appliedInBatch[item.Timeline] = item.Lsn;
            }

            if (batch.Count == 0)
            {
                return 0;
            }

            // A storage fault here leaves the batch dequeued and perhaps committed in SQLite: the pause that
            // follows reloads the document from its journals, which rebuilds both.
            _inFlight!.Write(batch, strikes, _database.Storage.Range.Next);
            ApplyBatch(batch, appliedInBatch);
            _consecutiveFaults = 0;
            AfterStep();
            return batch.Count;
        }
    }

    /// <summary>Steps until the queue is empty, <paramref name="batchSize"/> mutations per transaction.</summary>
    public int StepAll(int batchSize = 256)
    {
        int total = 0;
        int applied;
        while ((applied = Step(batchSize)) > 0)
        {
            total += applied;
        }

        return total;
    }

    private void ApplyBatch(List<(TimelineId Timeline, Lsn Lsn)> batch, Dictionary<TimelineId, Lsn> appliedInBatch)
    {
        // First without a savepoint per mutation (one costs about as much as a single-row INSERT). If a
        // reducer fails, the whole transaction is rolled back and the batch runs again with savepoints:
        // mutations are deterministic, so that gives exactly the state the savepoint path always gives.
        // A mutation the sandbox stopped may have taken the whole transaction with it: it is remembered as
        // an offender and the batch runs again, the offender recorded as rejected without being run. Pages
        // are counted for the whole step, so a batch over a page budget is halved (the rest goes back to the
        // front of the queue) until the mutation over it is alone in its step, where the count is its own.
        var offenders = new Dictionary<(TimelineId, Lsn), string>();
        bool useSavepoints = false;
        BatchOutcome outcome;
        while ((outcome = TryApplyBatch(batch, appliedInBatch, useSavepoints, offenders)) != BatchOutcome.Committed)
        {
            if (outcome == BatchOutcome.OverPageBudget)
            {
                SplitBatch(batch, appliedInBatch);
            }
            else
            {
                useSavepoints = true;
            }
        }

        InjectFault(CoordinatorStepPoint.AfterSqliteCommit);
        PublishPages();

        foreach (KeyValuePair<TimelineId, Lsn> applied in appliedInBatch)
        {
            _applied[applied.Key] = applied.Value;
            IJournal journal = _received[applied.Key];
            LsnRange range = journal.Range;
            if (!range.IsEmpty && applied.Value.Value - range.First.Value >= DropAppliedAfter)
            {
                journal.DropPrefix(applied.Value);
            }
        }

        if (AppliedObserver is { } observer)
        {
            foreach ((TimelineId timeline, Lsn lsn) in batch)
            {
                observer(timeline, lsn);
            }
        }
    }

    /// <summary>Keeps the first half of the batch and puts the rest back at the front of the queue.</summary>
    private void SplitBatch(List<(TimelineId Timeline, Lsn Lsn)> batch, Dictionary<TimelineId, Lsn> appliedInBatch)
    {
        int keep = batch.Count / 2;
        var rest = batch.GetRange(keep, batch.Count - keep);
        batch.RemoveRange(keep, batch.Count - keep);
        var queued = _queue.ToArray();
        _queue.Clear();
        foreach (var item in rest.Concat(queued))
        {
            _queue.Enqueue(item);
        }

        appliedInBatch.Clear();
        foreach ((TimelineId timeline, Lsn lsn) in batch)
        {
            appliedInBatch[timeline] = lsn;
        }
    }

    private enum BatchOutcome
    {
        Committed,
        /// <summary>A reducer failed without savepoints, or a mutation lost the transaction: run again with savepoints.</summary>
        RunAgain,
        /// <summary>The batch (of more than one mutation) wrote more pages than a budget allows: split it.</summary>
        OverPageBudget,
    }

    /// <summary>
    /// Applies the batch and commits. Without savepoints, stops (everything rolled back) at the first
    /// reducer failure; with them, records each failure as a rejection. A mutation that lost the transaction,
    /// or alone in its step went over a page budget, is added to <paramref name="offenders"/> and the batch is
    /// rolled back to run again.
    /// </summary>
    private BatchOutcome TryApplyBatch(List<(TimelineId Timeline, Lsn Lsn)> batch, Dictionary<TimelineId, Lsn> appliedInBatch,
        bool useSavepoints, Dictionary<(TimelineId, Lsn), string> offenders)
    {
        var connection = _database.Connection;
        var sandbox = _database.Sandbox;
        bool alone = batch.Count == 1;
        sandbox.Begin();
        try
        {
            foreach ((TimelineId timeline, Lsn lsn) in batch)
            {
                if (offenders.TryGetValue((timeline, lsn), out string? offence))
                {
                    RecordRejection(timeline, lsn, offence);
                    continue;
                }

                ReadOnlyMemory<byte> entry = _received[timeline].Read(lsn);
                Exception? failure = _database.Applier.TryApply(timeline, lsn, entry.Span, useSavepoints, exactPages: false, out bool lost);
                if (failure is null)
                {
                    continue;
                }

                if (sandbox.ViolationIsPages && !alone)
                {
                    return RolledBack(BatchOutcome.OverPageBudget);
                }

                if (lost || failure is SqlSyncException { Code: SqlSyncErrorCode.MutationRefused or SqlSyncErrorCode.MutationOverBudget })
                {
                    // Final verdicts, whatever else the batch holds: remembered so a rerun does not run it.
                    offenders[(timeline, lsn)] = RejectionOf(timeline, lsn, failure);
                }

                if (!useSavepoints || lost)
                {
                    return RolledBack(BatchOutcome.RunAgain);
                }

                RecordRejection(timeline, lsn, RejectionOf(timeline, lsn, failure));
            }

            foreach (KeyValuePair<TimelineId, Lsn> applied in appliedInBatch.OrderBy(p => p.Key.Value))
            {
                connection.ExecuteEngine(SystemTables.UpsertTimelineSql, new object?[] { applied.Key.ToString(), (long)applied.Value.Value });
            }

            // The pages the step would publish, counted exactly.
            sandbox.FlushCache();
            int pages = _database.Storage.PendingPageCount;
            int budget = Math.Min(_limits.MaxPagesPerStep, _limits.MaxPagesPerMutation);
            if (pages > budget)
            {
                if (!alone)
                {
                    return RolledBack(BatchOutcome.OverPageBudget);
                }

                if (!offenders.ContainsKey(batch[0]))
                {
                    string which = _limits.MaxPagesPerStep <= _limits.MaxPagesPerMutation
                        ? "the budget of a step (MutationLimits.MaxPagesPerStep)" : "its budget (MutationLimits.MaxPagesPerMutation)";
                    offenders[batch[0]] = RejectionOf(batch[0].Timeline, batch[0].Lsn, new SqlSyncException(SqlSyncErrorCode.MutationOverBudget,
                        $"Refused: the mutation wrote {pages} pages, over {budget} pages ({budget / 256} MiB), {which}."));
                    return RolledBack(BatchOutcome.RunAgain);
                }
            }

            InjectFault(CoordinatorStepPoint.BeforeSqliteCommit);
            sandbox.Commit();
            return BatchOutcome.Committed;
        }
        catch
        {
            sandbox.RollbackIfActive();
            throw;
        }
    }

    /// <summary>
    /// Rolls the step's transaction back and drops its pending pages: the rollback wrote the original bytes of
    /// the pages the step had flushed, which would otherwise count against the next try's budget.
    /// </summary>
    private BatchOutcome RolledBack(BatchOutcome outcome)
    {
        _database.Sandbox.RollbackIfActive();
        _database.Storage.Revert();
        return outcome;
    }

    /// <summary>Records a rejection and trims its timeline's to the newest <see cref="CoordinatorDocumentOptions.RejectionsKeptPerTimeline"/>.</summary>
    private void RecordRejection(TimelineId timeline, Lsn lsn, string error)
    {
        _database.Connection.ExecuteEngine(SystemTables.InsertRejectionSql, new object?[] { timeline.ToString(), (long)lsn.Value, error });
        _database.Connection.ExecuteEngine(SystemTables.TrimRejectionsSql, new object?[] { timeline.ToString(), (long)Math.Max(1, _options.RejectionsKeptPerTimeline) });
    }

    /// <summary>
    /// The text a rejection records in <c>__sqlsync_rejections</c> (and clients show): the mutation's method
    /// name, once, then what went wrong.
    /// </summary>
    private string RejectionOf(TimelineId timeline, Lsn lsn, Exception failure)
    {
        string name;
        try
        {
            name = _database.Applier.NameOf(TimelineEntry.Decode(_received[timeline].Read(lsn).Span).Mutation);
        }
        catch (SqlSyncException)
        {
            name = "(an entry that cannot be decoded)";
        }

        return $"{name}: {MutationApplier.Describe(failure)}";
    }

    /// <summary>
    /// Runs the test hook at <paramref name="point"/>. What it throws simulates a crash (the process dies), not
    /// a storage fault, even when it is an <see cref="IOException"/>: it is marked so that it propagates.
    /// </summary>
    private void InjectFault(CoordinatorStepPoint point)
    {
        try
        {
            FaultInjection?.Invoke(point);
        }
        catch (Exception e)
        {
            e.Data[SimulatedCrashKey] = true;
            throw;
        }
    }

    /// <summary>Turns the pages of the committed transaction into one storage entry.</summary>
    private void PublishPages()
    {
        _database.WithFileHeld(() =>
        {
            InjectFault(CoordinatorStepPoint.BeforeStorageAppend);
            Lsn? lsn = _database.Storage.Commit();
            InjectFault(CoordinatorStepPoint.AfterStorageAppend);
            return lsn;
        });
    }

    /// <summary>Creates the system tables on a new document, loads applied LSNs and re-queues what is left.</summary>
    /// <summary>
    /// Entries are applied before their received copy is synced (<see cref="MakeTimelineDurable"/>), so a crash
    /// can keep the storage that says LSN n was applied and lose the received journal's tail up to n. The
    /// client dropped those entries once it saw them applied and uploads from n + 1, so the journal must
    /// continue there: the lost LSNs get placeholders (an envelope with tag 0 and no arguments), which
    /// nothing reads as they are applied already.
    /// </summary>
    private void FillLostTail(TimelineId timeline, IJournal journal)
    {
        if (!_applied.TryGetValue(timeline, out Lsn applied) || journal.Range.Next > applied)
        {
            return;
        }

        byte[] placeholder = TimelineEntry.Encode(0, stackalloc byte[4]);
        while (journal.Range.Next <= applied)
        {
            journal.Append(placeholder);
        }

        journal.Flush();
    }

    private void Initialize()
    {
        LoadCheckpointState();
        LoadState();
        Lsn storageNext = _database.Storage.Range.Next; // before migrations write: the in-flight note is judged against the last process's storage
        ApplyMigrations();
        HandleInFlightAtLastStop(storageNext);
    }

    /// <summary>Creates the system tables on a new document, loads applied LSNs, reopens the received journals and queues what is left.</summary>
    private void LoadState()
    {
        var connection = _database.Connection;
        if (connection.QueryScalar<long>(SystemTables.ExistsSql, ReadOnlySpan<object?>.Empty) == 0)
        {
            _database.Sandbox.RunEngineScript("BEGIN;" + SystemTables.CreateSql + "COMMIT;");
            PublishPages();
        }

        foreach (object?[] row in connection.Query(SystemTables.AllAppliedSql, ReadOnlySpan<object?>.Empty))
        {
            _applied[TimelineId.Parse((string)row[0]!)] = new Lsn((ulong)(long)row[1]!);
        }

        _inFlight ??= _journals.OpenInFlight();
        foreach (string name in _journals.Children("timelines"))
        {
            TimelineId timeline;
            try
            {
                timeline = TimelineId.Parse(name);
            }
            catch (FormatException)
            {
                continue; // not a timeline directory
            }

            IJournal journal = ReceivedJournal(timeline);
            FillLostTail(timeline, journal);
            LsnRange range = journal.Range;
            ulong from = _applied.TryGetValue(timeline, out Lsn applied) ? Math.Max(applied.Value + 1, range.First.Value) : range.First.Value;
            for (ulong lsn = from; lsn < range.Next.Value; lsn++)
            {
                _queue.Enqueue((timeline, new Lsn(lsn)));
            }
        }
    }

    /// <summary>
    /// The poison-pill rule. Entries the last process was applying when it stopped, and not applied since,
    /// are suspects: each runs alone in the next steps (one ordinary crash costs nothing). A suspect that was
    /// alone in flight at this stop too, after being in flight at the one before, is rejected now, unrun.
    /// </summary>
    private void HandleInFlightAtLastStop(Lsn storageNext)
    {
        if (_inFlight!.FoundStorageLsn is Lsn written && written < storageNext)
        {
            // The storage holds the LSN that step was to write: it committed, or another coordinator wrote it first and
            // fenced it (two live servers, decision 0037). Neither is a stop inside the step: nothing is suspect.
            return;
        }

        var unapplied = _inFlight.Found
            .Where(e => !_applied.TryGetValue(e.Timeline, out Lsn applied) || e.Lsn > applied)
            .ToList();
        if (unapplied.Count == 1 && _inFlight.FoundStrikes >= 1)
        {
            (TimelineId timeline, Lsn lsn) = unapplied[0];
            string error = RejectionOf(timeline, lsn, new SqlSyncException(SqlSyncErrorCode.MutationPoisonPill,
                "Refused: the coordinator stopped twice in a row while applying this mutation (a crash, or a restart while it hung); it is not run again."));
            var sandbox = _database.Sandbox;
            sandbox.Begin();
            try
            {
                RecordRejection(timeline, lsn, error);
                _database.Connection.ExecuteEngine(SystemTables.UpsertTimelineSql, new object?[] { timeline.ToString(), (long)lsn.Value });
                sandbox.Commit();
            }
            catch
            {
                sandbox.RollbackIfActive();
                throw;
            }

            PublishPages();
            _applied[timeline] = lsn;
            return;
        }

        foreach (var entry in unapplied)
        {
            _suspects.Enqueue(entry);
        }
    }
}
