using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// Reads a segment file at open: validates its header, checks every frame and builds the index.
/// <para>
/// A frame is damaged when its bytes run past the end of the file, its length field is impossible, or its
/// checksum fails. A damaged frame of the last segment is a torn tail — the remains of an append cut short
/// by a crash — when no valid frame follows it: then the file is truncated there and the truncation forced
/// to disk. A damaged frame followed by a valid frame (one with a later LSN and a matching checksum found
/// at any byte offset after it), a damaged frame in any other segment, and a frame whose checksum holds but
/// whose LSN is not the next one are corruption: <see cref="SqlSyncErrorCode.JournalCorrupt"/>, naming the
/// file, the LSN and the byte offset. Searching every offset after the damage, instead of trusting the
/// damaged frame's own length field, means a flipped bit in a length cannot pass for a torn tail.
/// </para>
/// </summary>
internal static class JournalSegmentScanner
{
    private const int ScanChunkBytes = 1 << 20;

    private enum FrameState { Valid, Damaged, WrongLsn }

    /// <summary>
    /// Scans the segment at <paramref name="path"/>, whose name says it starts at <paramref name="nameLsn"/>;
    /// <paramref name="name"/> names it in errors. A torn tail is reported in <paramref name="tornTail"/>, and
    /// cut only when <paramref name="cut"/> (false for a read-only open, which opens the file for reading only).
    /// </summary>
    public static JournalSegment Scan(string path, string name, Lsn nameLsn, bool isLast, bool cut, out JournalTornTail? tornTail)
    {
        tornTail = null;
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, isLast && cut ? FileAccess.ReadWrite : FileAccess.Read,
            cut ? FileShare.Read : FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        long fileLength = RandomAccess.GetLength(handle);

        byte[] headerBytes = new byte[JournalSegmentHeader.Size];
        int headerRead = RandomAccess.Read(handle, headerBytes, 0);
        JournalSegmentHeader? header = JournalSegmentHeader.Validate(headerBytes.AsSpan(0, headerRead), out string? problem);
        if (header is null)
        {
            throw Corrupt(name, $"at byte offset 0: {problem}");
        }

        if (header.Value.FirstLsn != nameLsn)
        {
            throw Corrupt(name, $"at byte offset 0: the header says the first LSN is {header.Value.FirstLsn}, the file name says {nameLsn}");
        }

        var segment = new JournalSegment(path, nameLsn, JournalSegmentHeader.Size);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: ScanChunkBytes);
        byte[] frame = new byte[4096];
        while (segment.Length < fileLength)
        {
            long offset = segment.Length;
            Lsn expected = segment.Next;
            FrameState state = CheckFrame(stream, offset, fileLength, expected, ref frame, out long size, out Lsn found);
            if (state == FrameState.Valid)
            {
                segment.AddFrame(size);
                continue;
            }

            if (state == FrameState.WrongLsn)
            {
                throw Corrupt(name, $"at byte offset {offset}: the frame for LSN {expected} carries LSN {found}");
            }

            if (!isLast)
            {
                throw Corrupt(name, $"at byte offset {offset}: the frame for LSN {expected} is damaged or cut short, in a segment that is not the last");
            }

            if (ValidFrameFollows(handle, offset, fileLength, expected))
            {
                throw Corrupt(name, $"at byte offset {offset}: the frame for LSN {expected} is damaged and valid frames follow it");
            }

            // A torn tail: cut it away, durably, so the next append starts on a frame boundary.
            tornTail = new JournalTornTail(path, expected, offset, fileLength - offset);
            if (cut)
            {
                RandomAccess.SetLength(handle, offset);
                RandomAccess.FlushToDisk(handle);
            }

            break;
        }

        return segment;
    }

    private static FrameState CheckFrame(FileStream stream, long offset, long fileLength, Lsn expected,
        ref byte[] frame, out long size, out Lsn found)
    {
        size = 0;
        found = default;
        long remaining = fileLength - offset;
        if (remaining < JournalFrame.Overhead)
        {
            return FrameState.Damaged;
        }

        stream.Position = offset;
        stream.ReadExactly(frame, 0, JournalFrame.HeaderSize);
        (uint payloadLength, Lsn lsn) = JournalFrame.ReadHeader(frame);
        if (payloadLength > JournalFrame.MaxPayloadBytes || JournalFrame.SizeOf(payloadLength) > remaining)
        {
            return FrameState.Damaged;
        }

        size = JournalFrame.SizeOf(payloadLength);
        if (frame.Length < size)
        {
            byte[] larger = new byte[Math.Max(size, (long)frame.Length * 2)];
            frame.AsSpan(0, JournalFrame.HeaderSize).CopyTo(larger);
            frame = larger;
        }

        stream.ReadExactly(frame, JournalFrame.HeaderSize, (int)size - JournalFrame.HeaderSize);
        if (!JournalFrame.HasValidChecksum(frame.AsSpan(0, (int)size)))
        {
            return FrameState.Damaged;
        }

        found = lsn;
        return lsn == expected ? FrameState.Valid : FrameState.WrongLsn;
    }

    /// <summary>
    /// True when some byte offset after <paramref name="damagedOffset"/> starts a whole frame with a matching
    /// checksum whose LSN is after <paramref name="expected"/> (and no further than the bytes left allow).
    /// </summary>
    private static bool ValidFrameFollows(SafeFileHandle handle, long damagedOffset, long fileLength, Lsn expected)
    {
        ulong maxFrames = (ulong)((fileLength - damagedOffset) / JournalFrame.Overhead);
        byte[] chunk = new byte[ScanChunkBytes + JournalFrame.HeaderSize];
        for (long chunkStart = damagedOffset + 1; chunkStart + JournalFrame.Overhead <= fileLength; chunkStart += ScanChunkBytes)
        {
            int read = ReadFully(handle, chunk, chunkStart);
            for (int i = 0; i < ScanChunkBytes && i + JournalFrame.HeaderSize <= read; i++)
            {
                (uint payloadLength, Lsn lsn) = JournalFrame.ReadHeader(chunk.AsSpan(i));
                long at = chunkStart + i;
                if (lsn <= expected || lsn.Value - expected.Value > maxFrames
                    || payloadLength > JournalFrame.MaxPayloadBytes || at + JournalFrame.SizeOf(payloadLength) > fileLength)
                {
                    continue;
                }

                byte[] candidate = new byte[JournalFrame.SizeOf(payloadLength)];
                if (ReadFully(handle, candidate, at) == candidate.Length && JournalFrame.HasValidChecksum(candidate))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static int ReadFully(SafeFileHandle handle, byte[] buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>The corruption error for the segment <paramref name="name"/> ("Journal segment 'PATH'" or "Segment 3 of the storage journal").</summary>
    internal static SqlSyncException Corrupt(string name, string detail) =>
        new(SqlSyncErrorCode.JournalCorrupt, $"{name} is corrupt {detail}.");
}
