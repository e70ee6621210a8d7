using System.Collections.Concurrent;

namespace SqlSync.Documents;

/// <summary>
/// The live queries of one document whose new results wait to be handed to their subscribers, delivered one
/// at a time by one thread-pool loop outside every lock: those someone watches first, in the order they were
/// computed, then the others (which only update <c>Current</c>), in theirs. The refresh loop
/// adds to it while it holds the document lock and goes on running the next queries, so on a second core a
/// result reaches its subscriber while the others are still computed (docs/decisions/0033).
/// </summary>
internal sealed class LiveDeliveries
{
    private readonly ConcurrentQueue<ILiveQuery> _watched = new();
    private readonly ConcurrentQueue<ILiveQuery> _unwatched = new();
    private readonly Action<object?> _run;

    /// <summary>1 while a delivery loop is scheduled or running.</summary>
    private int _running;

    private long _handed;

    /// <summary>How many results were handed to the loop (tests: queries nobody watches hand none over).</summary>
    public long Handed => Interlocked.Read(ref _handed);

    public LiveDeliveries()
    {
        _run = _ => Run();
    }

    /// <summary>Queues <paramref name="query"/>'s result; never waits, never runs user code.</summary>
    public void Add(ILiveQuery query, bool watched)
    {
        (watched ? _watched : _unwatched).Enqueue(query);
        Interlocked.Increment(ref _handed);
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_run, null, preferLocal: false);
        }
    }

    private void Run()
    {
        while (true)
        {
            while (_watched.TryDequeue(out ILiveQuery? query) || _unwatched.TryDequeue(out query))
            {
                query.Deliver();
            }

            // Dekker with Add: it enqueues and then tries to take the flag; we drop the flag and then look again.
            Interlocked.Exchange(ref _running, 0);
            if ((_watched.IsEmpty && _unwatched.IsEmpty) || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
            {
                return;
            }
        }
    }
}
