using System.Diagnostics;
using System.Runtime;
using Microsoft.Extensions.Logging;

namespace SqlSync.Server;

/// <summary>
/// Giving memory back after many documents closed (docs/decisions/0016-memory-after-idle-close.md): a closed
/// document leaves nothing reachable, but an idle server allocates nothing, so the GC never runs to collect what the
/// documents left, and malloc keeps the SQLite caches they freed. When a burst of closes has ended, one full compacting
/// collection and a trim of the native heap return both.
/// </summary>
internal sealed partial class CoordinatorHost
{
    /// <summary>The least time between two releases, so that steady churn (LRU closes under load) pays at most one a minute.</summary>
    private static readonly TimeSpan MinTimeBetweenReleases = TimeSpan.FromMinutes(1);

    private int _closedSinceRelease;
    private long _lastRelease;
    private int _releasing;

    /// <summary>Counts a closed document towards the next release.</summary>
    private void CountClosed() => Interlocked.Increment(ref _closedSinceRelease);

    /// <summary>
    /// Called by the sweeper under the lock: when no close is running or was started by this sweep, and enough
    /// documents closed since the last release, releases memory in the background.
    /// </summary>
    private void MaybeReleaseMemory(bool closedNow)
    {
        if (_options.ReleaseMemoryAfterClosing is not int threshold || closedNow || _closing.Count > 0
            || Volatile.Read(ref _closedSinceRelease) < threshold
            || _lastRelease != 0 && Stopwatch.GetElapsedTime(_lastRelease) < MinTimeBetweenReleases
            || Interlocked.Exchange(ref _releasing, 1) == 1)
        {
            return;
        }

        _lastRelease = Stopwatch.GetTimestamp();
        _ = Task.Run(ReleaseMemory);
    }

    private void ReleaseMemory()
    {
        try
        {
            int closed = Interlocked.Exchange(ref _closedSinceRelease, 0);
            long before = GC.GetGCMemoryInfo().TotalCommittedBytes;
            var clock = Stopwatch.StartNew();

            // Aggressive: compacts (the large object heap too) and decommits what the heap no longer needs.
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            bool trimmed = NativeHeap.Trim();
            Metrics.MemoryReleases.Add(1);
            _logger.LogDebug("Released memory after {Closed} documents closed: managed heap committed {Before} -> {After} MiB, native heap {Trimmed}, in {Milliseconds:0} ms.",
                closed, before >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20, trimmed ? "trimmed" : "not trimmed (not glibc)", clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Releasing memory after document closes failed; documents are served as before.");
        }
        finally
        {
            Volatile.Write(ref _releasing, 0);
        }
    }
}
