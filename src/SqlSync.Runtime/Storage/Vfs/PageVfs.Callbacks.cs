using System.Runtime.InteropServices;
using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// The native entry points. Each one catches everything, since an exception must never unwind into SQLite,
/// and records what it caught (<see cref="TakeCallbackError"/>) so the caller's error names the cause.
/// </summary>
internal static unsafe partial class PageVfs
{
    [UnmanagedCallersOnly]
    private static int XOpen(NativeVfs* vfs, byte* zName, NativeFile* file, int flags, int* outFlags)
    {
        file->Methods = null;
        try
        {
            string? name = NameOf(zName);
            VfsFileHandle handle;
            if ((flags & SQLITE_OPEN_MAIN_DB) != 0)
            {
                if (name is null || !s_files.TryGetValue(name, out PageFile? pageFile))
                {
                    return SQLITE_CANTOPEN;
                }

                // Only the engine writes: a read-write open without the file's writer secret is made read-only
                // (SQLite reads the flags back and then refuses every write with SQLITE_READONLY).
                bool engineWriter = (flags & SQLITE_OPEN_READONLY) == 0 && pageFile.EngineWriter is null && CarriesWriterSecret(zName, pageFile);
                var main = new MainFileHandle(pageFile, readOnly: !engineWriter);
                if (engineWriter)
                {
                    pageFile.EngineWriter = main;
                }
                else
                {
                    flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
                }

                handle = main;
            }
            else if ((flags & SQLITE_OPEN_WAL) != 0)
            {
                return SQLITE_CANTOPEN; // WAL mode is not supported: pages live in the storage journal.
            }
            else if (name is null || (flags & SQLITE_OPEN_DELETEONCLOSE) != 0)
            {
                handle = new MemoryFileHandle(new MemoryFile(), onClose: null);
            }
            else
            {
                handle = new MemoryFileHandle(s_memoryFiles.GetOrAdd(name, static _ => new MemoryFile()), onClose: null);
            }

            file->Handle = GCHandle.ToIntPtr(GCHandle.Alloc(handle));
            file->Methods = s_ioMethods;
            if (outFlags is not null)
            {
                *outFlags = flags;
            }

            return SQLITE_OK;
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_CANTOPEN);
        }
    }

    private static bool CarriesWriterSecret(byte* zName, PageFile file)
    {
        byte* value;
        fixed (byte* parameter = "sqlsync_writer\0"u8) // WriterSecretParameter, NUL-terminated for C
        {
            value = UriParameter(zName, parameter);
        }

        if (value is null)
        {
            return false;
        }

        ReadOnlySpan<byte> given = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(value);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, System.Text.Encoding.ASCII.GetBytes(file.WriterSecret));
    }

    [UnmanagedCallersOnly]
    private static int XDelete(NativeVfs* vfs, byte* zName, int syncDir)
    {
        try
        {
            string? name = NameOf(zName);
            if (name is not null)
            {
                s_memoryFiles.TryRemove(name, out _);
            }

            return SQLITE_OK;
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR);
        }
    }

    [UnmanagedCallersOnly]
    private static int XAccess(NativeVfs* vfs, byte* zName, int flags, int* result)
    {
        try
        {
            // SQLite asks whether a hot journal exists at the start of every read transaction: answer the
            // common case (no rollback journal in memory at all) without building a string.
            if (s_memoryFiles.IsEmpty && EndsWith(zName, "-journal"u8))
            {
                *result = 0;
                return SQLITE_OK;
            }

            string? name = NameOf(zName);
            bool exists = name is not null
                && (s_files.ContainsKey(name) || (s_memoryFiles.TryGetValue(name, out MemoryFile? memory) && memory.Length > 0));
            *result = exists ? 1 : 0;
            return SQLITE_OK;
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR);
        }
    }

    private static bool EndsWith(byte* zName, ReadOnlySpan<byte> suffix)
    {
        if (zName is null)
        {
            return false;
        }

        var name = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(zName);
        return name.EndsWith(suffix);
    }

    [UnmanagedCallersOnly]
    private static int XFullPathname(NativeVfs* vfs, byte* zName, int nOut, byte* zOut)
    {
        // Names are keys, not paths: keep them exactly as given.
        int length = 0;
        while (zName[length] != 0)
        {
            length++;
        }

        if (length + 1 > nOut)
        {
            return SQLITE_CANTOPEN;
        }

        new ReadOnlySpan<byte>(zName, length + 1).CopyTo(new Span<byte>(zOut, nOut));
        return SQLITE_OK;
    }

    [UnmanagedCallersOnly]
    private static int XCurrentTimeInt64(NativeVfs* vfs, long* now)
    {
        if (t_hasMutationTime)
        {
            *now = t_mutationTimeUnixMs + UnixEpochJulianMilliseconds;
            return SQLITE_OK;
        }

        if (s_defaultCurrentTime is not null)
        {
            return s_defaultCurrentTime(vfs, now);
        }

        *now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + UnixEpochJulianMilliseconds;
        return SQLITE_OK;
    }

    [UnmanagedCallersOnly]
    private static int XClose(NativeFile* file)
    {
        nint pointer = file->Handle;
        file->Handle = 0;
        file->Methods = null;
        if (pointer == 0)
        {
            return SQLITE_OK;
        }

        GCHandle handle = GCHandle.FromIntPtr(pointer);
        try
        {
            ((VfsFileHandle)handle.Target!).Close();
            return SQLITE_OK;
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR_CLOSE);
        }
        finally
        {
            handle.Free(); // whatever Close did: SQLite never calls xClose on this file again
        }
    }

    [UnmanagedCallersOnly]
    private static int XRead(NativeFile* file, byte* buffer, int amount, long offset)
    {
        try
        {
            return HandleOf(file).Read(new Span<byte>(buffer, amount), offset);
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR_READ);
        }
    }

    [UnmanagedCallersOnly]
    private static int XWrite(NativeFile* file, byte* buffer, int amount, long offset)
    {
        try
        {
            return HandleOf(file).Write(new ReadOnlySpan<byte>(buffer, amount), offset);
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR_WRITE);
        }
    }

    [UnmanagedCallersOnly]
    private static int XTruncate(NativeFile* file, long size)
    {
        try
        {
            return HandleOf(file).Truncate(size);
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR_TRUNCATE);
        }
    }

    [UnmanagedCallersOnly]
    private static int XSync(NativeFile* file, int flags) => SQLITE_OK; // durability comes from the storage journal

    [UnmanagedCallersOnly]
    private static int XFileSize(NativeFile* file, long* size)
    {
        try
        {
            *size = HandleOf(file).Size;
            return SQLITE_OK;
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR);
        }
    }

    [UnmanagedCallersOnly]
    private static int XLock(NativeFile* file, int level)
    {
        try
        {
            return HandleOf(file).Lock(level);
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR_LOCK);
        }
    }

    [UnmanagedCallersOnly]
    private static int XUnlock(NativeFile* file, int level)
    {
        try
        {
            return HandleOf(file).Unlock(level);
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR_LOCK);
        }
    }

    [UnmanagedCallersOnly]
    private static int XCheckReservedLock(NativeFile* file, int* result)
    {
        try
        {
            *result = HandleOf(file).CheckReservedLock() ? 1 : 0;
            return SQLITE_OK;
        }
        catch (Exception ex)
        {
            return Failed(ex, SQLITE_IOERR);
        }
    }

    [UnmanagedCallersOnly]
    private static int XFileControl(NativeFile* file, int op, void* arg) => SQLITE_NOTFOUND;

    [UnmanagedCallersOnly]
    private static int XSectorSize(NativeFile* file) => StorageFormat.PageSize;

    [UnmanagedCallersOnly]
    private static int XDeviceCharacteristics(NativeFile* file) =>
        SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
