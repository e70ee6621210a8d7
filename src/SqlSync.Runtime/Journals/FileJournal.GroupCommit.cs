using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// Group commit: appends that skip their own fsync, and an fsync that runs outside the owner's lock and makes
/// every entry appended before it durable (docs/decisions/0019-durable-mutate-async-and-sync-status.md).
/// </summary>
internal sealed partial class FileJournal
{
    /// <summary>
    /// Appends without an fsync whatever <see cref="FileJournalOptions.FsyncOnAppend"/> says: the owner makes the
    /// entry durable later with <see cref="AcquireForGroupFlush"/> and <see cref="FlushAcquired"/>.
    /// </summary>
    internal Lsn AppendWithoutFsync(ReadOnlySpan<byte> entry)
    {
        ThrowIfUnusable(write: true);
        Lsn lsn = _segments[^1].Next;
        AppendFrame(lsn, entry, fsync: false);
        return lsn;
    }

    /// <summary>
    /// Under the owner's lock: the active segment's handle with a reference taken (a roll or a dispose meanwhile
    /// cannot close it under the fsync; release it with <see cref="System.Runtime.InteropServices.SafeHandle.DangerousRelease"/>), its path, and the
    /// LSN before which an fsync of it makes every entry durable (sealed segments were fsynced when they were sealed).
    /// </summary>
    internal SafeFileHandle AcquireForGroupFlush(out Lsn durableNext, out string path)
    {
        ThrowIfUnusable(write: true);
        bool added = false;
        _active.DangerousAddRef(ref added);
        durableNext = _segments[^1].Next;
        path = _segments[^1].Path;
        return _active;
    }

    /// <summary>The fsync of a group commit, on a handle from <see cref="AcquireForGroupFlush"/>; no lock needed.</summary>
    internal static void FlushAcquired(SafeFileHandle handle, string path)
    {
        StorageFaults.Check(path, "flush");
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Under the owner's lock: a group fsync failed, so the journal refuses further use; the error to report.</summary>
    internal SqlSyncException GroupFlushFailed(Exception e) => IoFailure("flush", e);
}
