using System.Runtime.CompilerServices;

namespace SqlSync.Tests;

/// <summary>
/// Raises the thread pool's floor for a test run (linked into each test project whose tests use the pool).
/// Many tests block pool threads on purpose (hang probes, lock hand-overs, readers that wait for a writer)
/// while others, in parallel, wait for work that the pool runs: live queries' refresh loop and its rest timer,
/// flushers, checkpoints. On a 2-core CI machine the pool then adds threads one at a time, and a live query
/// waited over 30 s for its turn (a CI failure; reproduced under load with 13 items queued behind 9 busy
/// threads). The library is unchanged: an application that starves its pool delays this work too.
/// </summary>
internal static class ThreadPoolFloor
{
    [ModuleInitializer]
    internal static void Raise()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
    }
}
