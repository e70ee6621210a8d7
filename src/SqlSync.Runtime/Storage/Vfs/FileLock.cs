using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// SQLite's lock levels (NONE, SHARED, RESERVED, PENDING, EXCLUSIVE) on state shared by every handle of
/// one file, as the unix VFS keeps them per inode inside a process. Also an engine hold: the owning
/// document keeps other connections out (new SHARED locks are busy) while it swaps the page view under
/// them, letting only its own writer connection in.
/// </summary>
internal sealed class FileLock
{
    private readonly object _sync = new();
    private int _sharedCount;
    private MainFileHandle? _reserved;
    private MainFileHandle? _pending;
    private MainFileHandle? _exclusive;
    private bool _held;
    private MainFileHandle? _holdAllows;

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
                    if ((_pending is not null && _pending != handle) || (_exclusive is not null && _exclusive != handle)
                        || (_held && _holdAllows != handle))
                    {
                        return SQLITE_BUSY;
                    }

                    _sharedCount++;
                    handle.LockLevel = SQLITE_LOCK_SHARED;
                    return SQLITE_OK;

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
                Monitor.PulseAll(_sync);
            }

            handle.LockLevel = level;
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
