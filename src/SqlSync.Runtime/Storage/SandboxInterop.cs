using System.Runtime.InteropServices;

namespace SqlSync.Storage;

/// <summary>The SQLite function the sandbox needs that SQLitePCLRaw does not expose, bound to the same e_sqlite3.</summary>
internal static partial class SandboxInterop
{
    /// <summary>Writes the connection's dirty pages to the file (here: into the pending layer) without committing.</summary>
    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_db_cacheflush")]
    public static partial int CacheFlush(IntPtr db);
}
