using System.Diagnostics;
using SqlSync.Mutations;

namespace SqlSync.Server.Tests;

/// <summary>
/// A reducer whose every mutation takes <paramref name="pace"/> of CPU (a slow reducer, not a wait). Shared with the
/// cluster tests (linked into SqlSync.Orleans.Tests).
/// </summary>
internal sealed class PacedReducer(TimeSpan pace) : IMutationReducer
{
    private int _applied;

    public int Applied => Volatile.Read(ref _applied);

    public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
    {
        long until = Stopwatch.GetTimestamp() + (long)(pace.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(64);
        }

        Interlocked.Increment(ref _applied);
    }
}
