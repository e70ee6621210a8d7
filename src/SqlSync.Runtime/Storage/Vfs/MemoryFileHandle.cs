using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// A rollback journal, statement journal or temporary database: bytes in memory. Named ones are shared
/// through the VFS so SQLite's existence checks see them; unnamed or delete-on-close ones vanish on close.
/// </summary>
internal sealed class MemoryFileHandle : VfsFileHandle
{
    private readonly MemoryFile _file;
    private readonly Action? _onClose;

    public MemoryFileHandle(MemoryFile file, Action? onClose)
    {
        _file = file;
        _onClose = onClose;
    }

    public override long Size => _file.Length;

    public override int Read(Span<byte> destination, long offset) =>
        _file.Read(destination, offset) ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;

    public override int Write(ReadOnlySpan<byte> source, long offset)
    {
        _file.Write(source, offset);
        return SQLITE_OK;
    }

    public override int Truncate(long size)
    {
        _file.Truncate(size);
        return SQLITE_OK;
    }

    public override int Lock(int level) => SQLITE_OK;

    public override int Unlock(int level) => SQLITE_OK;

    public override bool CheckReservedLock() => false;

    public override void Close() => _onClose?.Invoke();
}
