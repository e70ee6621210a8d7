using System.Globalization;
using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// A checkpoint arriving from the server, kept as <c>checkpoints/{LSN}.ckpt.part</c> so a download cut short (a lost
/// connection, a restart) resumes at the part's length. Slices are written where they belong and only in order; the
/// whole file is validated (every page against its hash) before it is renamed into place.
/// </summary>
internal static class CheckpointDownload
{
    private const string PartSuffix = ".part";

    /// <summary>How many bytes of the checkpoint at <paramref name="lsn"/> are held; parts of any other checkpoint are deleted.</summary>
    public static long Held(CheckpointStore store, Lsn lsn, long totalBytes)
    {
        string part = store.PathFor(lsn) + PartSuffix;
        foreach (string other in Directory.EnumerateFiles(store.Directory, "*" + PartSuffix))
        {
            if (!string.Equals(Path.GetFullPath(other), Path.GetFullPath(part), StringComparison.Ordinal))
            {
                File.Delete(other); // a checkpoint the server no longer offers
            }
        }

        long length = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (length > totalBytes)
        {
            File.Delete(part);
            return 0;
        }

        return length;
    }

    /// <summary>Appends <paramref name="bytes"/> at <paramref name="offset"/>, which must be the part's length.</summary>
    public static void Append(CheckpointStore store, Lsn lsn, long offset, ReadOnlySpan<byte> bytes)
    {
        string part = store.PathFor(lsn) + PartSuffix;
        StorageFaults.Check(part, "write");
        using SafeFileHandle handle = File.OpenHandle(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        RandomAccess.Write(handle, bytes, offset);
    }

    /// <summary>
    /// A slice at <paramref name="offset"/> of <paramref name="length"/> bytes passes the <paramref name="totalBytes"/>
    /// the server announced: the part is deleted (the download starts over) and the error returned, to be reported as a
    /// corrupt download, so the server checks its copy and a link that keeps doing it is refused (decision 0027's bound).
    /// </summary>
    public static SqlSyncException Overrun(CheckpointStore store, Lsn lsn, long totalBytes, long offset, int length)
    {
        string part = store.PathFor(lsn) + PartSuffix;
        File.Delete(part);
        return CheckpointHeader.Corrupt(CheckpointStore.LabelOf(part), string.Create(CultureInfo.InvariantCulture,
            $"a slice of {length} bytes at offset {offset} passes the {totalBytes} bytes announced"));
    }

    /// <summary>
    /// Makes the whole part durable, validates it (header, table, every page; its LSN), and renames it into place.
    /// A part that fails validation is deleted (the download starts over) and its error thrown.
    /// </summary>
    public static string Complete(CheckpointStore store, Lsn lsn)
    {
        string path = store.PathFor(lsn);
        string part = path + PartSuffix;
        using (SafeFileHandle handle = File.OpenHandle(part, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            RandomAccess.FlushToDisk(handle);
        }

        try
        {
            using CheckpointFile file = CheckpointFile.Open(part, CheckpointStore.LabelOf(part));
            file.Validate();
            if (file.Header.Lsn != lsn)
            {
                throw CheckpointHeader.Corrupt(CheckpointStore.LabelOf(part), string.Create(CultureInfo.InvariantCulture, $"it covers LSN {file.Header.Lsn}, not {lsn} as offered"));
            }
        }
        catch (SqlSyncException)
        {
            File.Delete(part);
            throw;
        }

        File.Move(part, path, overwrite: true);
        DurableFile.FlushDirectory(store.Directory);
        return path;
    }
}
