using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Storage.Checkpoints;

/// <summary>
/// An open checkpoint file: its validated header and hash table, and positional page reads (page n at
/// n × 4096), each checked against its hash. Read-only; it never changes the file.
/// </summary>
internal sealed class CheckpointFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly ulong[] _hashes;

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

    /// <summary>Reads and checks every page.</summary>
    public void Validate()
    {
        byte[] page = new byte[StorageFormat.PageSize];
        for (uint n = 1; n <= Header.DatabaseSizeInPages; n++)
        {
            ReadPage(n, page);
        }
    }

    public void Dispose() => _handle.Dispose();
}
