using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// File-system steps a journal needs to be durable: create a file whole (temporary name, fsync, rename),
/// and fsync a directory so that a created, renamed or deleted name survives a crash.
/// </summary>
internal static class DurableFile
{
    /// <summary>The suffix of files written under a temporary name; a journal deletes leftovers at open.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> so that after a crash the path holds either
    /// its old content (or nothing) or all of the new content.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = path + TempSuffix;
        StorageFaults.Check(path, "write");
        using (SafeFileHandle handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temp, path, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// Forces the directory's entries to disk (POSIX needs an fsync of the directory itself; on Windows the
    /// file system journals metadata and this is a no-op).
    /// </summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int fd = LibC.Open(directory, LibC.ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (LibC.Fsync(fd) != 0)
            {
                throw new IOException($"Cannot flush directory '{directory}' (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }
}
