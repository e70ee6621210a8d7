using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// Group commit: appends that touch no file (the frame goes to an in-memory tail, which reads serve), and a write and
/// fsync of that tail that run outside the owner's lock (docs/decisions/0019-durable-mutate-async-and-sync-status.md).
/// Every other step that touches the active segment (a synchronous append, a flush, a roll, dropping a prefix) writes
/// the tail first, so the file always holds the entries in LSN order. Lock order: the owner's lock, then
/// <see cref="_writeLock"/> (a leaf); the group commit's write takes <see cref="_writeLock"/> alone.
/// </summary>
internal sealed partial class FileJournal
{
    private readonly object _writeLock = new();
    private byte[] _tail = new byte[4096];
    private int _tailLength;
    private byte[]? _spareTail;
    private DeferredWrite? _taken;
    private (Lsn From, SqlSyncException Error)? _lostTail;
    private Lsn _tailFirst;

    /// <summary>True while appended frames wait in the in-memory tail or in a group commit's write not yet done.</summary>
    private bool HasDeferred => _tailLength > 0 || _taken is { Done: false };

    /// <summary>
    /// Appends in memory only: no write, no fsync, whatever <see cref="FileJournalOptions.FsyncOnAppend"/> says. The entry
    /// is in <see cref="Range"/> and readable at once; the owner makes it durable with <see cref="TakeForGroupFlush"/>,
    /// <see cref="WriteTaken"/> and <see cref="FlushAcquired(DeferredWrite)"/>, or any synchronous step writes it first.
    /// </summary>
    internal Lsn AppendDeferred(ReadOnlySpan<byte> entry)
    {
        ThrowIfUnusable(write: true);
        JournalFrame.CheckPayloadSize(entry.Length);
        int size = (int)JournalFrame.SizeOf(entry.Length);
        Lsn lsn = _segments[^1].Next;
        if (_segments[^1].Count > 0 && _segments[^1].Length + size > _options.SegmentSizeBytes)
        {
            Io($"start a segment at LSN {lsn}", () => Roll(lsn)); // writes the tail first (FlushActive)
        }

        if (_tail.Length - _tailLength < size)
        {
            Array.Resize(ref _tail, Math.Max(_tailLength + size, _tail.Length * 2));
        }

        if (_tailLength == 0)
        {
            _tailFirst = lsn;
        }

        _tailLength += JournalFrame.EncodeInto(_tail.AsSpan(_tailLength), lsn, entry);
        _segments[^1].AddFrame(size);
        _fresh = false;
        return lsn;
    }

    /// <summary>
    /// Under the owner's lock: takes the in-memory tail to be written by <see cref="WriteTaken"/> outside the lock, with a
    /// reference on the active segment's handle (release it with <see cref="FinishGroupFlush"/>), and the LSN before which
    /// an fsync after that write makes every entry durable (sealed segments were fsynced when they were sealed).
    /// </summary>
    internal DeferredWrite TakeForGroupFlush(out Lsn durableNext)
    {
        ThrowIfUnusable(write: true);
        ThrowIfTailLost();
        bool added = false;
        _active.DangerousAddRef(ref added);
        JournalSegment active = _segments[^1];
        durableNext = active.Next;
        byte[] bytes = _tail;
        var taken = new DeferredWrite(bytes, _tailLength, active.Length - _tailLength, _tailLength > 0 ? _tailFirst : active.Next, _active, active.Path);
        if (_taken is { Done: true } previous && previous.Bytes.Length >= 4096)
        {
            _spareTail = previous.Bytes; // reused once its write is done: reads no longer look at it
        }

        _tail = _spareTail is { } spare && spare != bytes ? spare : new byte[Math.Max(4096, bytes.Length)];
        _spareTail = null;
        _tailLength = 0;
        _taken = taken;
        return taken;
    }

    /// <summary>
    /// Writes taken frames if nobody did yet (no owner's lock needed). A failed write is cut back to where the frames start;
    /// <see cref="DeferredWrite.Failure"/> says so and the owner learns what was lost from <see cref="TakeLostTail"/>.
    /// </summary>
    internal void WriteTaken(DeferredWrite taken)
    {
        lock (_writeLock)
        {
            if (taken.Done)
            {
                return;
            }

            taken.Done = true;
            if (taken.Length == 0)
            {
                return;
            }

            try
            {
                StorageFaults.Check(taken.Path, "write");
                RandomAccess.Write(taken.Handle, taken.Bytes.AsSpan(0, taken.Length), taken.Offset);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                taken.Failure = e;
                try
                {
                    RandomAccess.SetLength(taken.Handle, taken.Offset);
                    taken.CutBack = true;
                }
                catch (Exception cut) when (cut is IOException or UnauthorizedAccessException)
                {
                    taken.CutBack = false;
                }
            }
        }
    }

    /// <summary>The fsync of a group commit, after <see cref="WriteTaken"/>; no lock needed.</summary>
    internal static void FlushAcquired(DeferredWrite taken) => FlushAcquired(taken.Handle, taken.Path);

    /// <summary>
    /// Under the owner's lock: writes the in-memory tail (no fsync) and returns the active segment's handle with a reference
    /// taken, so that an fsync outside the lock (<see cref="FlushAcquired(SafeFileHandle, string)"/>) makes every entry
    /// appended so far durable while appends go on; null when nothing is waiting for an fsync. Sealed segments were fsynced
    /// when they were sealed. Release the handle with <see cref="SafeHandle.DangerousRelease"/>.
    /// </summary>
    internal SafeFileHandle? AcquireForFlush(out string path)
    {
        ThrowIfUnusable(write: true);
        path = _segments[^1].Path;
        Io("write the tail", WriteDeferred);
        if (!_dirty)
        {
            return null;
        }

        bool added = false;
        _active.DangerousAddRef(ref added);
        return _active; // _dirty stays set: the next flush under the lock fsyncs again, which is only slower
    }

    /// <summary>The fsync of <see cref="AcquireForFlush"/>'s handle; no lock needed.</summary>
    internal static void FlushAcquired(SafeFileHandle handle, string path)
    {
        StorageFaults.Check(path, "flush");
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Releases the handle reference <see cref="TakeForGroupFlush"/> took.</summary>
    internal static void FinishGroupFlush(DeferredWrite taken) => taken.Handle.DangerousRelease();

    /// <summary>Under the owner's lock: a group fsync failed, so the journal refuses further use; the error to report.</summary>
    internal SqlSyncException GroupFlushFailed(Exception e) => IoFailure("flush", e);

    /// <summary>
    /// Under the owner's lock: the entries a failed deferred write lost (from that LSN on, every later entry too: the
    /// journal keeps a prefix of its order), and the error, once; null when none was lost. The journal no longer holds them
    /// (<see cref="Range"/> ends before them) and refuses further use until reopened.
    /// </summary>
    internal (Lsn From, SqlSyncException Error)? TakeLostTail()
    {
        if (_taken is { Done: true, Failure: not null })
        {
            CutLostTail(_taken);
        }

        (Lsn From, SqlSyncException Error)? lost = _lostTail;
        _lostTail = null;
        return lost;
    }

    /// <summary>Under the owner's lock, before any step on the active segment: writes what the group commit has not, in order.</summary>
    private void WriteDeferred()
    {
        if (_taken is { Done: false } inFlight)
        {
            WriteTaken(inFlight); // waits for the flusher's write of it, or writes it here
            _dirty = true;
        }

        ThrowIfTailLost();
        if (_tailLength == 0)
        {
            return;
        }

        DeferredWrite own = TakeForGroupFlush(out _);
        try
        {
            WriteTaken(own);
        }
        finally
        {
            FinishGroupFlush(own);
        }

        _dirty = true;
        ThrowIfTailLost();
    }

    private void ThrowIfTailLost()
    {
        if (_taken is { Done: true, Failure: not null } failed)
        {
            throw CutLostTail(failed).Error;
        }

        if (_lostTail is { } lost)
        {
            throw lost.Error;
        }
    }

    /// <summary>Forgets the frames a failed deferred write held and every frame after them; records what was lost.</summary>
    private (Lsn From, SqlSyncException Error) CutLostTail(DeferredWrite failed)
    {
        Exception e = failed.Failure!;
        _taken = null;
        _tailLength = 0;
        _segments[^1].TruncateTo(failed.Offset);
        // The file ends at a whole frame again if it could be cut back; either way the journal's owner applied entries
        // the journal no longer holds, so it refuses further use until reopened (as after a failed fsync).
        SqlSyncException error = IoFailure(
            $"write LSN {failed.First} and the entries after it ({(failed.CutBack ? "they were not appended" : "the file could not be cut back to its last whole entry")})", e);
        _lostTail = (failed.First, error);
        return _lostTail.Value;
    }

    /// <summary>A frame not written yet (in the tail or in a write under way), or null when it is in the file.</summary>
    private byte[]? ReadUnwritten(JournalSegment segment, long offset, int size)
    {
        if (segment != _segments[^1])
        {
            return null;
        }

        long tailStart = segment.Length - _tailLength;
        if (offset >= tailStart)
        {
            return _tail.AsSpan((int)(offset - tailStart), size).ToArray();
        }

        if (_taken is { } inFlight && (!inFlight.Done || inFlight.Failure is not null) && inFlight.Covers(offset))
        {
            return inFlight.Bytes.AsSpan((int)(offset - inFlight.Offset), size).ToArray();
        }

        return null;
    }
}
