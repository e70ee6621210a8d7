using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// An open checkpoint file: its validated header and hash table, and positional page reads (page n at
/// n × 4096), each checked against its hash. Read-only; it never changes the file. Shared by reference count
/// (<see cref="Share"/>; each owner disposes once): the committed view reads its pages lazily and a checkpoint
/// being written reads them on another thread, and the handle closes when the last of them lets go. The file is
/// opened with <see cref="FileShare.Delete"/>: compaction may delete it while it is open, and the open handle
/// still reads the same bytes until it is closed.
/// </summary>
internal sealed class CheckpointFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly ulong[] _hashes;
    private int _owners = 1;

    private CheckpointFile(string path, string label, SafeFileHandle handle, CheckpointHeader header, ulong[] hashes)
    {
        Path = path;
        Label = label;
        _handle = handle;
        Header = header;
        _hashes = hashes;
    }

    public string Path { get; }

    /// <summary>How errors name the file (relative to the document, never a server path).</summary>
    public string Label { get; }

    public CheckpointHeader Header { get; }

    /// <summary>
    /// Opens <paramref name="path"/> and validates its header, its length, its hash table's checksum and that
    /// the table's hashes XOR to the database checksum. Pages are checked as they are read
    /// (<see cref="Validate"/> reads them all).
    /// </summary>
    public static CheckpointFile Open(string path, string label)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            Span<byte> headerBytes = stackalloc byte[CheckpointHeader.Size];
            int read = RandomAccess.Read(handle, headerBytes, 0);
            CheckpointHeader header = CheckpointHeader.Decode(headerBytes[..read], label);
            long length = RandomAccess.GetLength(handle);
            if (length != header.FileLength)
            {
                throw CheckpointHeader.Corrupt(label, $"it is {length} bytes long; its header says {header.FileLength}");
            }

            byte[] table = new byte[8 * (int)header.DatabaseSizeInPages + 8];
            if (RandomAccess.Read(handle, table, header.TableOffset) != table.Length)
            {
                throw CheckpointHeader.Corrupt(label, "its page-hash table is cut short");
            }

            int tableLength = table.Length - 8;
            if (BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(tableLength)) != XxHash3.HashToUInt64(table.AsSpan(0, tableLength)))
            {
                throw CheckpointHeader.Corrupt(label, "its page-hash table checksum does not match");
            }

            var hashes = new ulong[header.DatabaseSizeInPages];
            ulong checksum = 0;
            for (int i = 0; i < hashes.Length; i++)
            {
                hashes[i] = BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(8 * i));
                checksum ^= hashes[i];
            }

            if (checksum != header.Checksum)
            {
                throw CheckpointHeader.Corrupt(label, $"its page hashes XOR to 0x{checksum:X16}, not its database checksum 0x{header.Checksum:X16}");
            }

            return new CheckpointFile(path, label, handle, header, hashes);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads page <paramref name="pageNumber"/> (1..size) into <paramref name="destination"/> and checks its hash.</summary>
    public void ReadPage(uint pageNumber, Span<byte> destination)
    {
        if (pageNumber == 0 || pageNumber > Header.DatabaseSizeInPages)
        {
            throw new ArgumentOutOfRangeException(nameof(pageNumber));
        }

        Span<byte> page = destination[..StorageFormat.PageSize];
        if (RandomAccess.Read(_handle, page, CheckpointHeader.PageOffset(pageNumber)) != StorageFormat.PageSize)
        {
            throw CheckpointHeader.Corrupt(Label, $"page {pageNumber} is cut short");
        }

        if (DatabaseChecksum.HashPage(pageNumber, page) != _hashes[pageNumber - 1])
        {
            throw CheckpointHeader.Corrupt(Label, $"page {pageNumber} does not match its hash");
        }
    }

    /// <summary>
    /// Reads pages <paramref name="first"/> on, one into each of <paramref name="pages"/> (at most to the last page),
    /// with one scattered read and no copy, unchecked; returns how many pages it read whole. The caller checks each with
    /// <see cref="IsSound"/> before it uses it (a read ahead takes the sound neighbours of the page it needs).
    /// </summary>
    public int ReadRun(uint first, IReadOnlyList<Memory<byte>> pages)
    {
        ArgumentNullException.ThrowIfNull(pages);
        if (first == 0 || first > Header.DatabaseSizeInPages)
        {
            throw new ArgumentOutOfRangeException(nameof(first));
        }

        int count = (int)Math.Min(pages.Count, Header.DatabaseSizeInPages - first + 1);
        IReadOnlyList<Memory<byte>> within = count == pages.Count ? pages : pages.Take(count).ToArray();
        long read = RandomAccess.Read(_handle, within, CheckpointHeader.PageOffset(first));
        return (int)(read / StorageFormat.PageSize);
    }

    /// <summary>True when <paramref name="page"/> holds the bytes page <paramref name="pageNumber"/> was written with (its hash matches).</summary>
    public bool IsSound(uint pageNumber, ReadOnlySpan<byte> page) =>
        pageNumber >= 1 && pageNumber <= Header.DatabaseSizeInPages && DatabaseChecksum.HashPage(pageNumber, page) == _hashes[pageNumber - 1];

    /// <summary>Reads and checks every page, 256 KiB at a time (the memory it takes does not follow the file).</summary>
    public void Validate()
    {
        const int pagesPerRead = 64;
        byte[] buffer = new byte[pagesPerRead * StorageFormat.PageSize];
        for (uint first = 1; first <= Header.DatabaseSizeInPages; first += pagesPerRead)
        {
            int count = (int)Math.Min(pagesPerRead, Header.DatabaseSizeInPages - first + 1);
            Span<byte> chunk = buffer.AsSpan(0, count * StorageFormat.PageSize);
            if (RandomAccess.Read(_handle, chunk, CheckpointHeader.PageOffset(first)) != chunk.Length)
            {
                throw CheckpointHeader.Corrupt(Label, $"page {first} is cut short");
            }

            for (int i = 0; i < count; i++)
            {
                uint page = first + (uint)i;
                if (DatabaseChecksum.HashPage(page, chunk.Slice(i * StorageFormat.PageSize, StorageFormat.PageSize)) != _hashes[page - 1])
                {
                    throw CheckpointHeader.Corrupt(Label, $"page {page} does not match its hash");
                }
            }
        }
    }

    /// <summary>One more owner of the open file: it must dispose once too.</summary>
    public CheckpointFile Share()
    {
        ObjectDisposedException.ThrowIf(Interlocked.Increment(ref _owners) <= 1, this);

        return this;
    }

    /// <summary>Lets go of one owner's share; the last one closes the file.</summary>
    public void Dispose()
    {
        if (Interlocked.Decrement(ref _owners) == 0)
        {
            _handle.Dispose();
        }
    }
}
