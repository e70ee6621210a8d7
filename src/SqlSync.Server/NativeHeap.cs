using System.Runtime.InteropServices;

namespace SqlSync.Server;

/// <summary>
/// The server's one native-interop place for the C library's heap (docs/decisions/0016-memory-after-idle-close.md).
/// SQLite allocates its page caches and statements with malloc; glibc keeps what a closed document freed in its
/// arenas (one per thread that allocated, up to eight per core) and gives it back to the system only at an arena's
/// top. <c>malloc_trim(0)</c> returns every free page of every arena. Linux with glibc only; elsewhere (musl, macOS,
/// Windows) it does nothing, and a C library without the function is remembered as such.
/// </summary>
internal static partial class NativeHeap
{
    private static int _unavailable;

    /// <summary>Gives the pages malloc holds free back to the system; true when it ran.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _unavailable) == 1)
        {
            return false;
        }

        try
        {
            _ = malloc_trim(0);
            return true;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref _unavailable, 1); // not glibc
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);
}
