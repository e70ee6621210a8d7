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
    /// If this throws (an I/O failure, not a reducer's exception), the in-memory state may be ahead of the
    /// journals: dispose the document and open it again; nothing acknowledged is lost and nothing is
    /// applied twice, because the applied LSNs commit with the effects.
    /// </remarks>
    public int Step(int maxMutations = 1)
    {
        if (maxMutations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMutations), "A step applies at least one mutation.");
        }

        lock (_sync)
        {
            ThrowIfDisposed();
            var batch = new List<(TimelineId Timeline, Lsn Lsn)>(Math.Min(maxMutations, _queue.Count));
            var appliedInBatch = new Dictionary<TimelineId, Lsn>();
            while (batch.Count < maxMutations && _queue.TryDequeue(out var item))
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

            ApplyBatch(batch, appliedInBatch);
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
        if (!TryApplyBatch(batch, appliedInBatch, useSavepoints: false))
        {
            TryApplyBatch(batch, appliedInBatch, useSavepoints: true);
        }

        FaultInjection?.Invoke(CoordinatorStepPoint.AfterSqliteCommit);
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

    /// <summary>
    /// Applies the batch and commits. Without savepoints, returns false (everything rolled back) at the
    /// first reducer failure; with them, records each failure as a rejection and always commits.
    /// </summary>
    private bool TryApplyBatch(List<(TimelineId Timeline, Lsn Lsn)> batch, Dictionary<TimelineId, Lsn> appliedInBatch, bool useSavepoints)
    {
        var connection = _database.Connection;
        connection.Execute("BEGIN", ReadOnlySpan<object?>.Empty);
        try
        {
            foreach ((TimelineId timeline, Lsn lsn) in batch)
            {
                ReadOnlyMemory<byte> entry = _received[timeline].Read(lsn);
                Exception? failure = _database.Applier.TryApply(timeline, lsn, entry.Span, useSavepoints);
                if (failure is not null)
                {
                    if (!useSavepoints)
                    {
                        connection.RollbackIfActive();
                        return false;
                    }

                    connection.Execute(SystemTables.InsertRejectionSql,
                        new object?[] { timeline.ToString(), (long)lsn.Value, MutationApplier.Describe(failure) });
                }
            }

            foreach (KeyValuePair<TimelineId, Lsn> applied in appliedInBatch.OrderBy(p => p.Key.Value))
            {
                connection.Execute(SystemTables.UpsertTimelineSql, new object?[] { applied.Key.ToString(), (long)applied.Value.Value });
            }

            FaultInjection?.Invoke(CoordinatorStepPoint.BeforeSqliteCommit);
            connection.Execute("COMMIT", ReadOnlySpan<object?>.Empty);
            return true;
        }
        catch
        {
            connection.RollbackIfActive();
            throw;
        }
    }

    /// <summary>Turns the pages of the committed transaction into one storage entry.</summary>
    private void PublishPages()
    {
        _database.WithFileHeld(() =>
        {
            FaultInjection?.Invoke(CoordinatorStepPoint.BeforeStorageAppend);
            Lsn? lsn = _database.Storage.Commit();
            FaultInjection?.Invoke(CoordinatorStepPoint.AfterStorageAppend);
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
        var connection = _database.Connection;
        if (connection.QueryScalar<long>(SystemTables.ExistsSql, ReadOnlySpan<object?>.Empty) == 0)
        {
            connection.ExecuteScript("BEGIN;" + SystemTables.CreateSql + "COMMIT;");
            PublishPages();
        }

        foreach (object?[] row in connection.Query(SystemTables.AllAppliedSql, ReadOnlySpan<object?>.Empty))
        {
            _applied[TimelineId.Parse((string)row[0]!)] = new Lsn((ulong)(long)row[1]!);
        }

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
}
