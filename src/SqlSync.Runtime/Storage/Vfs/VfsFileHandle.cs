namespace SqlSync.Storage.Vfs;

/// <summary>One open sqlite3_file: what SQLite's io methods call. A GCHandle in the native struct points here.</summary>
internal abstract class VfsFileHandle
{
    public abstract int Read(Span<byte> destination, long offset);

    public abstract int Write(ReadOnlySpan<byte> source, long offset);

    public abstract int Truncate(long size);

    public abstract long Size { get; }

    public abstract int Lock(int level);

    public abstract int Unlock(int level);

    public abstract bool CheckReservedLock();

    public abstract void Close();
}
