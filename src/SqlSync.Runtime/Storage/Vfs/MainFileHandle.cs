using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Storage.Vfs;

/// <summary>A connection's handle on a document's main database file.</summary>
internal sealed class MainFileHandle : VfsFileHandle
{
    public MainFileHandle(PageFile file, bool readOnly)
    {
        File = file;
        ReadOnly = readOnly;
    }

    public PageFile File { get; }

    public bool ReadOnly { get; }

    /// <summary>This handle's SQLite lock level; changed only under the file lock.</summary>
    public int LockLevel { get; set; }

    public override long Size => File.SizeInBytes;

    public override int Read(Span<byte> destination, long offset) =>
        File.Read(destination, offset) ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;

    public override int Write(ReadOnlySpan<byte> source, long offset)
    {
        if (ReadOnly)
        {
            return SQLITE_IOERR_WRITE;
        }

        File.Write(source, offset);
        return SQLITE_OK;
    }

    public override int Truncate(long size)
    {
        if (ReadOnly)
        {
            return SQLITE_IOERR_TRUNCATE;
        }

        File.Truncate(size);
        return SQLITE_OK;
    }

    public override int Lock(int level) => File.Lock.Lock(this, level);

    public override int Unlock(int level) => File.Lock.Unlock(this, level);

    public override bool CheckReservedLock() => File.Lock.IsReserved;

    public override void Close() => File.Lock.Unlock(this, SQLITE_LOCK_NONE);
}
