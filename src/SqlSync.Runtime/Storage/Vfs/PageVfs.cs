using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// The SQLite VFS that serves documents' page storage. Registered once per process under
/// <see cref="Name"/>; a document registers its <see cref="PageFile"/> under a unique file name, and any
/// connection that opens <c>file:NAME?vfs=sqlsync</c> reads its pages.
/// </summary>
internal static unsafe partial class PageVfs
{
    /// <summary>The name the VFS is registered under.</summary>
    public const string Name = "sqlsync";

    /// <summary>Milliseconds from the Julian day epoch SQLite counts from to the Unix epoch.</summary>
    private const long UnixEpochJulianMilliseconds = 210_866_760_000_000;

    private static readonly object s_registerLock = new();
    private static readonly ConcurrentDictionary<string, PageFile> s_files = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, MemoryFile> s_memoryFiles = new(StringComparer.Ordinal);
    private static NativeVfs* s_vfs;
    private static IoMethods* s_ioMethods;
    private static delegate* unmanaged<NativeVfs*, long*, int> s_defaultCurrentTime;

    /// <summary>The URI parameter that carries a file's <see cref="PageFile.WriterSecret"/> when the engine opens its writer.</summary>
    public const string WriterSecretParameter = "sqlsync_writer";

    /// <summary>The last exception a callback caught on this thread, until <see cref="TakeCallbackError"/>.</summary>
    [ThreadStatic]
    private static Exception? t_callbackError;

    [ThreadStatic]
    private static long t_mutationTimeUnixMs;

    [ThreadStatic]
    private static bool t_hasMutationTime;

    /// <summary>Registers the VFS with SQLite once per process.</summary>
    public static void EnsureRegistered()
    {
        if (s_vfs is not null)
        {
            return;
        }

        lock (s_registerLock)
        {
            if (s_vfs is not null)
            {
                return;
            }

            SQLitePCL.Batteries_V2.Init();
            NativeVfs* fallback = VfsFind(null);
            if (fallback is null)
            {
                throw new SqlSyncException(SqlSyncErrorCode.Vfs, "SQLite has no default VFS to take OS services from.");
            }

            // Native memory lives as long as the process: SQLite keeps pointers to it once registered.
            var methods = (IoMethods*)NativeMemory.AllocZeroed((nuint)sizeof(IoMethods));
            methods->Version = 1;
            methods->Close = &XClose;
            methods->Read = &XRead;
            methods->Write = &XWrite;
            methods->Truncate = &XTruncate;
            methods->Sync = &XSync;
            methods->FileSize = &XFileSize;
            methods->Lock = &XLock;
            methods->Unlock = &XUnlock;
            methods->CheckReservedLock = &XCheckReservedLock;
            methods->FileControl = &XFileControl;
            methods->SectorSize = &XSectorSize;
            methods->DeviceCharacteristics = &XDeviceCharacteristics;

            var vfs = (NativeVfs*)NativeMemory.AllocZeroed((nuint)sizeof(NativeVfs));
            vfs->Version = 2;
            vfs->FileSize = sizeof(NativeFile);
            vfs->MaxPathname = 512;
            vfs->Name = (byte*)Marshal.StringToCoTaskMemUTF8(Name);
            vfs->Open = &XOpen;
            vfs->Delete = &XDelete;
            vfs->Access = &XAccess;
            vfs->FullPathname = &XFullPathname;
            vfs->DlOpen = fallback->DlOpen;
            vfs->DlError = fallback->DlError;
            vfs->DlSym = fallback->DlSym;
            vfs->DlClose = fallback->DlClose;
            vfs->Randomness = fallback->Randomness;
            vfs->Sleep = fallback->Sleep;
            vfs->CurrentTime = fallback->CurrentTime;
            vfs->GetLastError = fallback->GetLastError;
            vfs->CurrentTimeInt64 = &XCurrentTimeInt64;
            s_defaultCurrentTime = fallback->Version >= 2 ? fallback->CurrentTimeInt64 : null;

            int rc = VfsRegister(vfs, 0);
            if (rc != SQLITE_OK)
            {
                throw new SqlSyncException(SqlSyncErrorCode.Vfs, $"sqlite3_vfs_register failed with SQLite error {rc}.");
            }

            s_ioMethods = methods;
            s_vfs = vfs;
        }
    }

    /// <summary>Makes <paramref name="storage"/> openable as <c>file:<paramref name="fileName"/>?vfs=sqlsync</c>.</summary>
    public static PageFile Register(string fileName, PageStorage storage)
    {
        EnsureRegistered();
        var file = new PageFile(fileName, storage);
        if (!s_files.TryAdd(fileName, file))
        {
            throw new SqlSyncException(SqlSyncErrorCode.Vfs, $"A database named '{fileName}' is already open in this process.");
        }

        return file;
    }

    /// <summary>Forgets a file; connections still open on it keep working until closed.</summary>
    public static void Unregister(string fileName)
    {
        s_files.TryRemove(fileName, out _);
        s_memoryFiles.TryRemove(fileName + "-journal", out _);
    }

    /// <summary>
    /// Makes SQLite's clock (<c>'now'</c>, <c>CURRENT_TIMESTAMP</c>) answer <paramref name="unixMilliseconds"/>
    /// on this thread until <see cref="ClearMutationTime"/>: the VFS is asked for the time on the thread
    /// that runs the statement.
    /// </summary>
    public static void SetMutationTime(long unixMilliseconds)
    {
        t_mutationTimeUnixMs = unixMilliseconds;
        t_hasMutationTime = true;
    }

    /// <summary>
    /// The exception the last failing callback on this thread caught (SQLite only sees a result code), and
    /// forgets it: the caller that turns the result code into an error makes it the inner exception.
    /// </summary>
    public static Exception? TakeCallbackError()
    {
        Exception? error = t_callbackError;
        t_callbackError = null;
        return error;
    }

    /// <summary>The file name the engine opens its writer with: the file's name and its writer secret.</summary>
    public static string WriterUri(PageFile file) => $"file:{file.Name}?{WriterSecretParameter}={file.WriterSecret}";

    /// <summary>Records <paramref name="error"/> for <see cref="TakeCallbackError"/> and returns <paramref name="resultCode"/>.</summary>
    private static int Failed(Exception error, int resultCode)
    {
        t_callbackError = error;
        return resultCode;
    }

    /// <summary>Gives this thread the real clock back.</summary>
    public static void ClearMutationTime() => t_hasMutationTime = false;

    private static VfsFileHandle HandleOf(NativeFile* file) => (VfsFileHandle)GCHandle.FromIntPtr(file->Handle).Target!;

    private static string? NameOf(byte* name) => name is null ? null : Marshal.PtrToStringUTF8((nint)name);
}
