using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// Writes the committed pages of a <see cref="PageStorage"/> as a plain SQLite database file (page 1 at
/// offset 0, no header or hash table of ours): under a temporary name beside the target, fsync'd, renamed
/// into place and the directory fsync'd, so the target holds either nothing or the whole image. The pages'
/// checksum is recomputed as they are written and must equal the storage's, or nothing is left behind.
/// </summary>
internal static class DatabaseImageWriter
{
    private const int PagesPerWrite = 64;

    /// <summary>
    /// Writes the image to <paramref name="path"/>; an existing file is replaced only when <paramref name="overwrite"/>.
    /// <paramref name="progress"/> hears (pages written, pages in all) after each write.
    /// </summary>
    public static void Write(PageStorage storage, string path, bool overwrite, IProgress<(long Done, long Total)>? progress = null)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"The directory '{directory}' of the output '{path}' does not exist.");
        }

        if (!overwrite && File.Exists(full))
        {
            throw Exists(path);
        }

        // A unique temporary name: two exports to one target never share a file, and a leftover never blocks one.
        string temp = $"{full}.{Guid.NewGuid():N}{DurableFile.TempSuffix}";
        try
        {
            ulong checksum = 0;
            using (SafeFileHandle handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                byte[] buffer = new byte[StorageFormat.PageSize * PagesPerWrite];
                uint size = storage.CommittedSizeInPages;
                for (uint page = 1; page <= size;)
                {
                    long offset = (long)(page - 1) * StorageFormat.PageSize;
                    int count = 0;
                    for (; count < PagesPerWrite && page <= size; count++, page++)
                    {
                        ReadOnlySpan<byte> bytes = storage.CommittedPage(page);
                        bytes.CopyTo(buffer.AsSpan(count * StorageFormat.PageSize, StorageFormat.PageSize));
                        checksum ^= DatabaseChecksum.HashPage(page, buffer.AsSpan(count * StorageFormat.PageSize, StorageFormat.PageSize));
                    }

                    RandomAccess.Write(handle, buffer.AsSpan(0, count * StorageFormat.PageSize), offset);
                    progress?.Report((page - 1, size));
                }

                if (size == 0)
                {
                    progress?.Report((0, 0));
                }

                RandomAccess.FlushToDisk(handle);
            }

            if (checksum != storage.Checksum)
            {
                throw new SqlSyncException(SqlSyncErrorCode.Divergence,
                    $"Document '{storage.Name}' diverged: its pages hash to 0x{checksum:X16} but its storage checksum is 0x{storage.Checksum:X16}; nothing was exported.");
            }

            try
            {
                File.Move(temp, full, overwrite);
            }
            catch (IOException) when (!overwrite && File.Exists(full))
            {
                throw Exists(path); // created by someone else since the check above
            }

            DurableFile.FlushDirectory(directory);
        }
        finally
        {
            File.Delete(temp); // nothing when the rename took it
        }
    }

    private static SqlSyncException Exists(string path) =>
        new(SqlSyncErrorCode.InvalidArgument, $"'{path}' already exists; nothing was written (--force replaces it).");
}
