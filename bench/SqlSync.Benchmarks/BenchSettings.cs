namespace SqlSync.Benchmarks;

/// <summary>Iteration counts: the full run, or a quick smoke run (<c>--quick</c>) that CI can afford.</summary>
internal sealed record BenchSettings(
    bool Quick,
    int WarmupRounds,
    int Rounds,
    int MemoryOpsRaw,
    int MemoryOpsEngine,
    int FileOps,
    int CoordinatorSingleOps,
    int CoordinatorBatchOps,
    int CoordinatorFileSingleOps,
    int CoordinatorFileBatchOps,
    int[] RebasePending,
    int RebaseRounds,
    int MemoryFootprintMutations)
{
    /// <summary>The pending-mutation count the memory target is stated for.</summary>
    public const int MemoryTargetMutations = 100_000;

    /// <summary>Op counts are per trial, after a per-trial warm-up of a tenth of them.</summary>
    public static BenchSettings Full { get; } = new(
        Quick: false, WarmupRounds: 1, Rounds: 7,
        MemoryOpsRaw: 100_000, MemoryOpsEngine: 20_000, FileOps: 1_000,
        CoordinatorSingleOps: 10_000, CoordinatorBatchOps: 50_000,
        CoordinatorFileSingleOps: 1_000, CoordinatorFileBatchOps: 20_000,
        RebasePending: [10, 100, 1_000, 10_000], RebaseRounds: 9,
        MemoryFootprintMutations: MemoryTargetMutations);

    public static BenchSettings QuickRun { get; } = new(
        Quick: true, WarmupRounds: 1, Rounds: 3,
        MemoryOpsRaw: 10_000, MemoryOpsEngine: 2_000, FileOps: 100,
        CoordinatorSingleOps: 1_000, CoordinatorBatchOps: 5_000,
        CoordinatorFileSingleOps: 100, CoordinatorFileBatchOps: 2_000,
        RebasePending: [10, 100, 1_000], RebaseRounds: 3,
        MemoryFootprintMutations: 10_000);
}
