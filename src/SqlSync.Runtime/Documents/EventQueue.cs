using System.Runtime.ExceptionServices;

namespace SqlSync.Documents;

/// <summary>
/// Delivers events after the lock that produced them is released, one at a time and in the order they
/// were queued. Producers <see cref="Enqueue"/> under their own lock and call <see cref="Drain"/> once they
/// have left it. The first thread to drain delivers everything queued, including what other threads (or
/// its own handlers) queue meanwhile; a thread that finds a drain under way returns at once, so handlers
/// may call back into the producer without deadlocking and without recursion. The queue's gate is a leaf
/// lock: nothing else is taken, and no user code runs, while it is held.
/// </summary>
internal sealed class EventQueue<T>
{
    private readonly object _gate = new();
    private readonly Queue<T> _pending = new();
    private readonly Action<T> _deliver;
    private bool _draining;

    /// <summary>
    /// How many items wait, written under <see cref="_gate"/> and read without it by <see cref="Drain"/>: a
    /// thread always sees what it queued itself, and what another thread queues is that thread's to drain,
    /// so a drain that reads 0 may return without taking the gate (every local mutation without handlers).
    /// </summary>
    private int _count;

    public EventQueue(Action<T> deliver)
    {
        _deliver = deliver;
    }

    public void Enqueue(T item)
    {
        lock (_gate)
        {
            _pending.Enqueue(item);
            Volatile.Write(ref _count, _pending.Count);
        }
    }

    /// <summary>
    /// Delivers queued events on this thread unless another drain is under way. Must not be called while
    /// holding a lock. A handler's exception does not stop delivery; the first one is rethrown at the end.
    /// </summary>
    public void Drain()
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_draining || _pending.Count == 0)
            {
                return;
            }

            _draining = true;
        }

        Exception? failure = null;
        while (true)
        {
            T item;
            lock (_gate)
            {
                bool dequeued = _pending.TryDequeue(out item!);
                Volatile.Write(ref _count, _pending.Count);
                if (!dequeued)
                {
                    _draining = false;
                    break;
                }
            }

            try
            {
                _deliver(item);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }
}
