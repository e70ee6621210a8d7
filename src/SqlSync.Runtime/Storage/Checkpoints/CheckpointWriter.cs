using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// Writes a checkpoint file from a <see cref="PageSnapshot"/>: under a temporary name, page by page (the
/// snapshot's pages are shared, never copied whole), fsync'd, renamed into place and the directory fsync'd.
/// After a crash the final name holds either nothing or the whole file.
/// </summary>
internal static class CheckpointWriter
{
    private const int PagesPerWrite = 64;

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/>; <paramref name="fault"/> is the test hook.</summary>
    public static void Write(string path, PageSnapshot snapshot, Action<CheckpointWritePoint>? fault = null, CancellationToken cancel = default)
    {
        string temp = path + DurableFile.TempSuffix;
        var header = new CheckpointHeader(snapshot.SizeInPages, snapshot.FirstLsn, snapshot.Lsn, snapshot.Checksum);
        var hashes = new byte[8L * snapshot.SizeInPages + 8 > int.MaxValue ? throw new InvalidOperationException("Checkpoint too large.") : 8 * (int)snapshot.SizeInPages + 8];
        StorageFaults.Check(path, "write");
        using (SafeFileHandle handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            byte[] buffer = new byte[StorageFormat.PageSize * PagesPerWrite];
            header.Encode(buffer);
            RandomAccess.Write(handle, buffer.AsSpan(0, StorageFormat.PageSize), 0);
            fault?.Invoke(CheckpointWritePoint.AfterHeader);
            uint page = 1;
            bool halfWay = false;
            while (page <= snapshot.SizeInPages)
            {
                cancel.ThrowIfCancellationRequested();
                long offset = CheckpointHeader.PageOffset(page);
                int count = 0;
                for (; count < PagesPerWrite && page <= snapshot.SizeInPages; count++, page++)
                {
                    ReadOnlySpan<byte> bytes = snapshot.Page(page);
                    bytes.CopyTo(buffer.AsSpan(count * StorageFormat.PageSize));
                    BinaryPrimitives.WriteUInt64LittleEndian(hashes.AsSpan(8 * (int)(page - 1)), DatabaseChecksum.HashPage(page, bytes));
                }

                RandomAccess.Write(handle, buffer.AsSpan(0, count * StorageFormat.PageSize), offset);
                if (!halfWay && page - 1 >= snapshot.SizeInPages / 2)
                {
                    halfWay = true;
                    fault?.Invoke(CheckpointWritePoint.MidPages);
                }
            }

            int tableLength = 8 * (int)snapshot.SizeInPages;
            BinaryPrimitives.WriteUInt64LittleEndian(hashes.AsSpan(tableLength), XxHash3.HashToUInt64(hashes.AsSpan(0, tableLength)));
            RandomAccess.Write(handle, hashes, header.TableOffset);
            StorageFaults.Check(path, "flush");
            RandomAccess.FlushToDisk(handle);
        }

        fault?.Invoke(CheckpointWritePoint.BeforeRename);
        File.Move(temp, path, overwrite: true);
        DurableFile.FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        fault?.Invoke(CheckpointWritePoint.AfterRename);
    }
}
