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
                    Span<byte> bytes = buffer.AsSpan(count * StorageFormat.PageSize, StorageFormat.PageSize);
                    snapshot.CopyPage(page, bytes);
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

    /// <summary>
    /// Writes a checkpoint at <paramref name="lsn"/> from a plain SQLite database file of 4096-byte pages (page p at
    /// 4096·(p−1)), streamed 256 KiB at a time: how a document larger than memory is made without holding it (tests
    /// and benchmarks). Not fsync'd or renamed: the caller's file is new.
    /// </summary>
    public static void WriteFromImage(string path, string imagePath, Lsn firstLsn, Lsn lsn)
    {
        using SafeFileHandle image = File.OpenHandle(imagePath, FileMode.Open, FileAccess.Read);
        long length = RandomAccess.GetLength(image);
        if (length % StorageFormat.PageSize != 0 || length / StorageFormat.PageSize > int.MaxValue / 8)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"'{imagePath}' is not a database image of whole {StorageFormat.PageSize}-byte pages.");
        }

        uint size = (uint)(length / StorageFormat.PageSize);
        var hashes = new byte[8 * (int)size + 8];
        ulong checksum = 0;
        byte[] buffer = new byte[StorageFormat.PageSize * PagesPerWrite];
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        for (uint first = 1; first <= size; first += PagesPerWrite)
        {
            int count = (int)Math.Min(PagesPerWrite, size - first + 1);
            Span<byte> chunk = buffer.AsSpan(0, count * StorageFormat.PageSize);
            RandomAccess.Read(image, chunk, (long)(first - 1) * StorageFormat.PageSize);
            for (int i = 0; i < count; i++)
            {
                uint page = first + (uint)i;
                ulong hash = DatabaseChecksum.HashPage(page, chunk.Slice(i * StorageFormat.PageSize, StorageFormat.PageSize));
                BinaryPrimitives.WriteUInt64LittleEndian(hashes.AsSpan(8 * (int)(page - 1)), hash);
                checksum ^= hash;
            }

            RandomAccess.Write(handle, chunk, CheckpointHeader.PageOffset(first));
        }

        var header = new CheckpointHeader(size, firstLsn, lsn, checksum);
        byte[] headerPage = new byte[StorageFormat.PageSize];
        header.Encode(headerPage);
        RandomAccess.Write(handle, headerPage, 0);
        int tableLength = 8 * (int)size;
        BinaryPrimitives.WriteUInt64LittleEndian(hashes.AsSpan(tableLength), XxHash3.HashToUInt64(hashes.AsSpan(0, tableLength)));
        RandomAccess.Write(handle, hashes, header.TableOffset);
    }
}
