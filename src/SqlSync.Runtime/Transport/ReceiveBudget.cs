namespace SqlSync.Transport;

/// <summary>
/// Bounds the bytes that all connections sharing it may hold for messages still arriving (a server keeps one for all
/// its connections). A buffer is charged before it is allocated and released when its message is decoded or its
/// connection ends; a message whose buffer does not fit is refused (<c>ServerBusy</c>), never waited for, so
/// connections that each hold part of the budget cannot deadlock waiting for more. Thread-safe.
/// </summary>
internal sealed class ReceiveBudget : SqlSync.Replication.IMemoryBudget
{
    private long _held;

    /// <summary>A budget of <paramref name="maxBytes"/> bytes.</summary>
    public ReceiveBudget(long maxBytes)
    {
        if (maxBytes < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"A receive budget must be positive, not {maxBytes}.");
        }

        MaxBytes = maxBytes;
    }

    /// <summary>The most bytes the budget lends at once.</summary>
    public long MaxBytes { get; }

    /// <summary>The bytes lent now.</summary>
    public long HeldBytes => Volatile.Read(ref _held);

    /// <summary>Takes <paramref name="bytes"/> from the budget; false (and nothing taken) when they do not fit.</summary>
    public bool TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long held = Volatile.Read(ref _held);
        while (true)
        {
            if (held + bytes > MaxBytes)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _held, held + bytes, held);
            if (seen == held)
            {
                return true;
            }

            held = seen;
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> taken by <see cref="TryReserve"/>.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Add(ref _held, -bytes);
    }
}
