using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// SQLite's lock levels (NONE, SHARED, RESERVED, PENDING, EXCLUSIVE) on state shared by every handle of
/// one file, as the unix VFS keeps them per inode inside a process. Also an engine hold: the owning
/// document keeps other connections out (new SHARED locks are busy) while it swaps the page view under
/// them, letting only its own writer connection in.
/// </summary>
/// <remarks>
/// The engine writer may keep its lock between transactions (<c>locking_mode=EXCLUSIVE</c>). A reader that
/// finds the file locked by the engine writer waits here rather than failing at once: it counts itself in
/// <see cref="ReadersWaiting"/> (the document hands the lock over when its current operation ends) and asks
/// the document to hand over now (<see cref="PageFile.HandOver"/>), which it does when its writer is idle.
/// The wait is bounded by <see cref="EngineWriterWait"/>; then the reader gets SQLITE_BUSY and its busy
/// handler retries, as before.
/// </remarks>
internal sealed class FileLock
{
    /// <summary>How long a reader waits inside one xLock for the engine writer to hand its lock over.</summary>
    public static readonly TimeSpan EngineWriterWait = TimeSpan.FromSeconds(2);

    /// <summary>How often a waiting reader asks the document again (it may have become idle without unlocking).</summary>
    private const int HandOverRetryMilliseconds = 5;

    private readonly object _sync = new();
    private int _readersWaiting;
    private int _sharedCount;
    private MainFileHandle? _reserved;
    private MainFileHandle? _pending;
    private MainFileHandle? _exclusive;
    private bool _held;
    private MainFileHandle? _holdAllows;

    /// <summary>Readers waiting inside xLock for the engine writer's lock; the document hands over when this is not 0.</summary>
    public int ReadersWaiting => Volatile.Read(ref _readersWaiting);

    /// <summary>Takes a lock at <paramref name="level"/> for <paramref name="handle"/>; SQLITE_OK or SQLITE_BUSY.</summary>
    public int Lock(MainFileHandle handle, int level)
    {
        lock (_sync)
        {
            if (handle.LockLevel >= level)
            {
                return SQLITE_OK;
            }

            switch (level)
            {
                case SQLITE_LOCK_SHARED:
                    switch (SharedBlocker(handle))
                    {
                        case Blocker.None:
                            GrantShared(handle);
                            return SQLITE_OK;
                        case Blocker.EngineWriter:
                            break; // wait below, outside this lock
                        default:
                            return SQLITE_BUSY;
                    }

                    break;

                case SQLITE_LOCK_RESERVED:
                    if (handle.LockLevel != SQLITE_LOCK_SHARED || (_reserved is not null && _reserved != handle) || handle.ReadOnly)
                    {
                        return SQLITE_BUSY;
                    }

                    _reserved = handle;
                    handle.LockLevel = SQLITE_LOCK_RESERVED;
                    return SQLITE_OK;

                case SQLITE_LOCK_EXCLUSIVE:
                    if (handle.LockLevel < SQLITE_LOCK_SHARED || (_reserved is not null && _reserved != handle)
                        || (_pending is not null && _pending != handle))
                    {
                        return SQLITE_BUSY;
                    }

                    // PENDING first: no new SHARED locks, then wait for the readers already in to leave.
                    _pending = handle;
                    if (_sharedCount > 1)
                    {
                        handle.LockLevel = SQLITE_LOCK_PENDING;
                        return SQLITE_BUSY;
                    }

                    _exclusive = handle;
                    handle.LockLevel = SQLITE_LOCK_EXCLUSIVE;
                    return SQLITE_OK;

                default:
                    return SQLITE_IOERR_LOCK;
            }
        }

        return WaitForEngineWriter(handle);
    }

    private enum Blocker
    {
        None,
        EngineWriter,
        Other,
    }

    /// <summary>What keeps <paramref name="handle"/> from taking SHARED now. Call under <see cref="_sync"/>.</summary>
    private Blocker SharedBlocker(MainFileHandle handle)
    {
        if (_held && _holdAllows != handle)
        {
            return Blocker.Other; // the document is changing pages: busy at once, as before
        }

        MainFileHandle? holder = _exclusive ?? _pending;
        if (holder is null || holder == handle)
        {
            return Blocker.None;
        }

        return holder == handle.File.EngineWriter ? Blocker.EngineWriter : Blocker.Other;
    }

    private void GrantShared(MainFileHandle handle)
    {
        _sharedCount++;
        handle.LockLevel = SQLITE_LOCK_SHARED;
    }

    /// <summary>
    /// A reader found the engine writer's PENDING or EXCLUSIVE lock: wait (bounded) until it is released,
    /// asking the document to hand it over. Runs on the reader's thread inside its xLock.
    /// </summary>
    private int WaitForEngineWriter(MainFileHandle handle)
    {
        long deadline = Environment.TickCount64 + (long)EngineWriterWait.TotalMilliseconds;
        lock (_sync)
        {
            _readersWaiting++;
        }

        try
        {
            while (true)
            {
                // Outside _sync: the document runs SQL on its writer, whose xUnlock takes _sync.
                handle.File.HandOver?.Invoke();
                lock (_sync)
                {
                    switch (SharedBlocker(handle))
                    {
                        case Blocker.None:
                            GrantShared(handle);
                            return SQLITE_OK;
                        case Blocker.Other:
                            return SQLITE_BUSY;
                    }

                    long remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0)
                    {
                        return SQLITE_BUSY;
                    }

                    Monitor.Wait(_sync, (int)Math.Min(remaining, HandOverRetryMilliseconds));
                }
            }
        }
        finally
        {
            lock (_sync)
            {
                _readersWaiting--;
            }
        }
    }

    /// <summary>Lowers <paramref name="handle"/>'s lock to SHARED or NONE.</summary>
    public int Unlock(MainFileHandle handle, int level)
    {
        lock (_sync)
        {
            if (handle.LockLevel <= level)
            {
                return SQLITE_OK;
            }

            if (handle.LockLevel > SQLITE_LOCK_SHARED)
            {
                if (_exclusive == handle) _exclusive = null;
                if (_pending == handle) _pending = null;
                if (_reserved == handle) _reserved = null;
            }

            if (level == SQLITE_LOCK_NONE)
            {
                _sharedCount--;
            }

            handle.LockLevel = level;
            Monitor.PulseAll(_sync); // holds and readers waiting for the engine writer look again
            return SQLITE_OK;
        }
    }

    /// <summary>True when any handle holds RESERVED or more.</summary>
    public bool IsReserved
    {
        get
        {
            lock (_sync)
            {
                return _reserved is not null || _pending is not null || _exclusive is not null;
            }
        }
    }

    /// <summary>
    /// Keeps every connection but <paramref name="allow"/>'s out of the file and waits until none of them
    /// holds a lock, so the caller may change pages under SQLite. Returns false on timeout.
    /// </summary>
    public bool TryHold(MainFileHandle? allow, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_sync)
        {
            while (_held)
            {
                if (!WaitUntil(deadline)) return false;
            }

            _held = true;
            _holdAllows = allow;
            while (_sharedCount - (allow is not null && allow.LockLevel >= SQLITE_LOCK_SHARED ? 1 : 0) > 0)
            {
                if (!WaitUntil(deadline))
                {
                    _held = false;
                    _holdAllows = null;
                    Monitor.PulseAll(_sync);
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Ends a hold taken with <see cref="TryHold"/>.</summary>
    public void Release()
    {
        lock (_sync)
        {
            _held = false;
            _holdAllows = null;
            Monitor.PulseAll(_sync);
        }
    }

    private bool WaitUntil(long deadline)
    {
        long remaining = deadline - Environment.TickCount64;
        if (remaining <= 0)
        {
            return false;
        }

        Monitor.Wait(_sync, (int)Math.Min(remaining, int.MaxValue));
        return true;
    }
}
