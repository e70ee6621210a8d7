using System.Runtime.InteropServices;

namespace SqlSync.Storage.Vfs;

/// <summary>The connection hooks live queries use (see <see cref="TableWriteTracker"/>).</summary>
internal static unsafe partial class SqliteVfsInterop
{
    /// <summary>
    /// sqlite3_preupdate_hook: called before every row a statement inserts, updates or deletes, in every
    /// table (WITHOUT ROWID, rows written by triggers and foreign-key actions included). e_sqlite3 is built
    /// with SQLITE_ENABLE_PREUPDATE_HOOK. A null callback removes the hook.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_preupdate_hook")]
    public static partial IntPtr PreUpdateHook(IntPtr db, delegate* unmanaged<IntPtr, IntPtr, int, byte*, byte*, long, long, void> callback, IntPtr context);
}
