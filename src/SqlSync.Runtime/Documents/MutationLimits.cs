namespace SqlSync.Documents;

/// <summary>
/// The budgets that keep one mutation from freezing or bloating a document. Counted in SQLite VM steps
/// and pages, not time or bytes of memory, so a mutation gets the same verdict on every machine.
/// </summary>
public sealed class MutationLimits
{
    /// <summary>SQLite checks the step budget every this many VM steps (its progress handler's interval).</summary>
    public const int VmStepInterval = 1000;

    /// <summary>The defaults: about 2 s of a runaway query here, 128 MiB per mutation, 128 MiB per step.</summary>
    public static MutationLimits Default { get; } = new();

    /// <summary>
    /// SQLite VM steps one mutation may run, counted in blocks of <see cref="VmStepInterval"/> within each
    /// statement (default 100 million). A single-row insert takes a few dozen; a runaway query is stopped here.
    /// </summary>
    public long MaxVmStepsPerMutation { get; init; } = 100_000_000;

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
        if (MaxVmStepsPerMutation < VmStepInterval || MaxPagesPerMutation < 1 || MaxPagesPerStep < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Mutation limits must be positive (VM steps at least {VmStepInterval}): got {MaxVmStepsPerMutation} steps, {MaxPagesPerMutation} pages per mutation, {MaxPagesPerStep} per step.");
        }
    }
}
