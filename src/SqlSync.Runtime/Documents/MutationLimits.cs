namespace SqlSync.Documents;

/// <summary>
/// The budgets that keep one mutation from freezing or bloating a document. Counted in SQLite VM steps
/// and pages, not time or bytes of memory, so a mutation gets the same verdict on every machine.
/// </summary>
public sealed class MutationLimits
{
    /// <summary>SQLite checks the step budget every this many VM steps (its progress handler's interval).</summary>
    public const int VmStepInterval = 1000;

    /// <summary>The defaults: under 1 s of a runaway query per mutation, about 7 s per read, 128 MiB per mutation and per step.</summary>
    public static MutationLimits Default { get; } = new();

    /// <summary>
    /// SQLite VM steps one mutation may run, counted in blocks of <see cref="VmStepInterval"/> within each
    /// statement (default 100 million). A single-row insert takes a few dozen; a runaway query is stopped here.
    /// </summary>
    public long MaxVmStepsPerMutation { get; init; } = 100_000_000;

    /// <summary>
    /// SQLite VM steps one read through a document's query API (<c>Query</c>, <c>QueryScalar</c>) may run,
    /// counted like <see cref="MaxVmStepsPerMutation"/> (default 1 billion, about 7 s of a runaway query here).
    /// A read holds the document's lock, so a runaway one would freeze every mutation; over the budget it is
    /// stopped with <see cref="SqlSyncErrorCode.QueryOverBudget"/>. Reads are not replicated: only this replica
    /// sees the verdict. Readers on <c>ReadOnlyConnectionString</c> have their own connections and no budget.
    /// </summary>
    public long MaxVmStepsPerQuery { get; init; } = 1_000_000_000;

    /// <summary>
    /// Database pages (4 KiB) one mutation may add to the pending pages (default 32,768: 128 MiB). Over it the
    /// mutation fails locally and is rejected by the coordinator.
    /// </summary>
    public int MaxPagesPerMutation { get; init; } = 32_768;

    /// <summary>
    /// Pages one coordinator step may publish as a storage entry (default 32,768: 128 MiB). A batch that
    /// would write more is split; a single mutation that alone writes more is rejected.
    /// </summary>
    public int MaxPagesPerStep { get; init; } = 32_768;

    internal void Validate()
    {
        if (MaxVmStepsPerMutation < VmStepInterval || MaxVmStepsPerQuery < VmStepInterval || MaxPagesPerMutation < 1 || MaxPagesPerStep < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Mutation limits must be positive (VM steps at least {VmStepInterval}): got {MaxVmStepsPerMutation} steps per mutation, {MaxVmStepsPerQuery} per query, {MaxPagesPerMutation} pages per mutation, {MaxPagesPerStep} per step.");
        }
    }
}
