namespace SqlSync.Replication;

/// <summary>
/// Memory lent to buffers of what a peer is still sending (messages arriving, entries in reassembly), shared by every
/// connection of a server so that together they hold at most <see cref="MaxBytes"/>. A reservation that does not fit is
/// refused, never waited for. Thread-safe.
/// </summary>
internal interface IMemoryBudget
{
    /// <summary>The most bytes the budget lends at once.</summary>
    long MaxBytes { get; }

    /// <summary>The bytes lent now.</summary>
    long HeldBytes { get; }

    /// <summary>Takes <paramref name="bytes"/>; false (and nothing taken) when they do not fit.</summary>
    bool TryReserve(long bytes);

    /// <summary>Gives back <paramref name="bytes"/> taken by <see cref="TryReserve"/>.</summary>
    void Release(long bytes);
}
