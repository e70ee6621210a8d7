using System.Runtime.InteropServices;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// Every native declaration of the VFS in one place: the C structs of sqlite3.h the VFS fills in, and
/// the functions SQLitePCLRaw's provider does not expose, and the few the per-mutation hot path calls
/// directly. They bind to the same e_sqlite3 library the provider loaded, so the VFS registers with the
/// SQLite every connection uses.
/// </summary>
internal static unsafe partial class SqliteVfsInterop
{
    private const string Library = "e_sqlite3";

    public const int SQLITE_OK = 0;
    public const int SQLITE_ERROR = 1;
    public const int SQLITE_BUSY = 5;
    public const int SQLITE_NOMEM = 7;
    public const int SQLITE_IOERR = 10;
    public const int SQLITE_NOTFOUND = 12;
    public const int SQLITE_CANTOPEN = 14;
    public const int SQLITE_IOERR_READ = SQLITE_IOERR | (1 << 8);
    public const int SQLITE_IOERR_SHORT_READ = SQLITE_IOERR | (2 << 8);
    public const int SQLITE_IOERR_WRITE = SQLITE_IOERR | (3 << 8);
    public const int SQLITE_IOERR_TRUNCATE = SQLITE_IOERR | (6 << 8);
    public const int SQLITE_IOERR_LOCK = SQLITE_IOERR | (15 << 8);
    public const int SQLITE_IOERR_CLOSE = SQLITE_IOERR | (16 << 8);

    public const int SQLITE_OPEN_READONLY = 0x00000001;
    public const int SQLITE_OPEN_READWRITE = 0x00000002;
    public const int SQLITE_OPEN_CREATE = 0x00000004;
    public const int SQLITE_OPEN_DELETEONCLOSE = 0x00000008;
    public const int SQLITE_OPEN_MAIN_DB = 0x00000100;
    public const int SQLITE_OPEN_WAL = 0x00080000;

    public const int SQLITE_ACCESS_EXISTS = 0;

    public const int SQLITE_LOCK_NONE = 0;
    public const int SQLITE_LOCK_SHARED = 1;
    public const int SQLITE_LOCK_RESERVED = 2;
    public const int SQLITE_LOCK_PENDING = 3;
    public const int SQLITE_LOCK_EXCLUSIVE = 4;

    public const int SQLITE_IOCAP_SAFE_APPEND = 0x00000200;
    public const int SQLITE_IOCAP_SEQUENTIAL = 0x00000400;
    public const int SQLITE_IOCAP_POWERSAFE_OVERWRITE = 0x00001000;

    /// <summary>sqlite3_file, extended with the GCHandle of the managed file object.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeFile
    {
        public IoMethods* Methods;
        public nint Handle;
    }

    /// <summary>sqlite3_io_methods, version 1 (no shared memory, no mmap).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoMethods
    {
        public int Version;
        public delegate* unmanaged<NativeFile*, int> Close;
        public delegate* unmanaged<NativeFile*, byte*, int, long, int> Read;
        public delegate* unmanaged<NativeFile*, byte*, int, long, int> Write;
        public delegate* unmanaged<NativeFile*, long, int> Truncate;
        public delegate* unmanaged<NativeFile*, int, int> Sync;
        public delegate* unmanaged<NativeFile*, long*, int> FileSize;
        public delegate* unmanaged<NativeFile*, int, int> Lock;
        public delegate* unmanaged<NativeFile*, int, int> Unlock;
        public delegate* unmanaged<NativeFile*, int*, int> CheckReservedLock;
        public delegate* unmanaged<NativeFile*, int, void*, int> FileControl;
        public delegate* unmanaged<NativeFile*, int> SectorSize;
        public delegate* unmanaged<NativeFile*, int> DeviceCharacteristics;
        public void* ShmMap;
        public void* ShmLock;
        public void* ShmBarrier;
        public void* ShmUnmap;
        public void* Fetch;
        public void* Unfetch;
    }

    /// <summary>sqlite3_vfs, version 2 (xCurrentTimeInt64 is ours; the OS services are the default VFS's).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeVfs
    {
        public int Version;
        public int FileSize;
        public int MaxPathname;
        public NativeVfs* Next;
        public byte* Name;
        public void* AppData;
        public delegate* unmanaged<NativeVfs*, byte*, NativeFile*, int, int*, int> Open;
        public delegate* unmanaged<NativeVfs*, byte*, int, int> Delete;
        public delegate* unmanaged<NativeVfs*, byte*, int, int*, int> Access;
        public delegate* unmanaged<NativeVfs*, byte*, int, byte*, int> FullPathname;
        public void* DlOpen;
        public void* DlError;
        public void* DlSym;
        public void* DlClose;
        public void* Randomness;
        public void* Sleep;
        public void* CurrentTime;
        public void* GetLastError;
        public delegate* unmanaged<NativeVfs*, long*, int> CurrentTimeInt64;
        public void* SetSystemCall;
        public void* GetSystemCall;
        public void* NextSystemCall;
    }

    [LibraryImport(Library, EntryPoint = "sqlite3_vfs_register")]
    public static partial int VfsRegister(NativeVfs* vfs, int makeDefault);

    [LibraryImport(Library, EntryPoint = "sqlite3_vfs_find")]
    public static partial NativeVfs* VfsFind(byte* name);

    /// <summary>The value of URI parameter <paramref name="parameter"/> of a filename SQLite passed to xOpen, or null.</summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_uri_parameter")]
    public static partial byte* UriParameter(byte* filename, byte* parameter);

    /// <summary>Writes a connection's dirty pages to the file (here: into the pending layer) without committing.</summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_db_cacheflush")]
    public static partial int CacheFlush(IntPtr db);

    /// <summary>
    /// A connection's status counter (<c>sqlite3_db_status</c>), e.g. <see cref="SQLITE_DBSTATUS_CACHE_USED"/>:
    /// it sums counters and takes no lock a callback could hold, so no GC transition is needed.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_db_status")]
    [SuppressGCTransition]
    public static partial int DbStatus(IntPtr db, int operation, int* current, int* highwater, int reset);

    /// <summary>Heap bytes of every page cache of the connection: at least a page size per cached page.</summary>
    public const int SQLITE_DBSTATUS_CACHE_USED = 1;

    // The hot path of every statement run (DatabaseConnection.RunStatement, the sandbox's BEGIN/COMMIT)
    // calls these on raw handles: through SQLitePCLRaw each call costs an interface dispatch and a
    // SafeHandle AddRef/Release, a measurable share of a one-row transaction. The callers own the handles
    // (the statement cache, the sandbox) and use them on the connection's thread only.

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    public static partial int Step(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    public static partial int Reset(IntPtr statement);

    /// <summary>
    /// Binds an integer. A bind runs no callback (no VFS call, no hook: it only replaces the parameter's value under
    /// the connection's mutex, which no callback of ours holds), so no GC transition is needed (decision 0032).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    [SuppressGCTransition]
    public static partial int BindInt64(IntPtr statement, int index, long value);

    /// <summary>
    /// Binds UTF-8 text; <paramref name="destructor"/> -1 (SQLITE_TRANSIENT) makes SQLite copy it. No GC transition, as
    /// <see cref="BindInt64"/>: callers pass short texts only (at most 769 bytes, encoded on the stack), so the copy is brief.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
    [SuppressGCTransition]
    public static partial int BindText(IntPtr statement, int index, byte* text, int length, IntPtr destructor);

    /// <summary>Reads a counter of the connection: no callback can run, so no GC transition is needed.</summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_total_changes")]
    [SuppressGCTransition]
    public static partial int TotalChanges(IntPtr db);

    /// <summary>Reads a counter of the connection: no callback can run, so no GC transition is needed.</summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_changes")]
    [SuppressGCTransition]
    public static partial int Changes(IntPtr db);
}
