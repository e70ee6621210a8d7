using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

internal sealed partial class FileJournal
{
    /// <inheritdoc />
    public ReadOnlyMemory<byte> Read(Lsn lsn)
    {
        ThrowIfUnusable();
        if (!Range.Contains(lsn))
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                $"LSN {lsn} is not in the range {Range} of {char.ToLowerInvariant(Subject[0])}{Subject[1..]}.");
        }

        JournalSegment segment = FindSegment(lsn);
        long offset = segment.OffsetOf(lsn);
        byte[] frame = GC.AllocateUninitializedArray<byte>((int)segment.SizeOf(lsn)); // read whole or refused below: no byte unread is used
        int total = 0;
        string name = SegmentName(_options, segment.Path, segment.FirstLsn);
        if (ReadUnwritten(segment, offset, frame.Length) is { } unwritten)
        {
            frame = unwritten;
            total = frame.Length;
        }
        else
        {
            Io($"read LSN {lsn} from {char.ToLowerInvariant(name[0])}{name[1..]}", () =>
            {
                SafeFileHandle handle = HandleFor(segment);
                while (total < frame.Length)
                {
                    int read = RandomAccess.Read(handle, frame.AsSpan(total), offset + total);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }
            });
        }

        if (total != frame.Length || !JournalFrame.HasValidChecksum(frame) || JournalFrame.ReadHeader(frame).Lsn != lsn
            || JournalFrame.ReadHeader(frame).PayloadLength != frame.Length - JournalFrame.Overhead)
        {
            throw JournalSegmentScanner.Corrupt(name,
                $"at byte offset {offset}: the frame for LSN {lsn} failed its check when read");
        }

        return JournalFrame.Payload(frame);
    }

    private JournalSegment FindSegment(Lsn lsn)
    {
        int lo = 0, hi = _segments.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_segments[mid].FirstLsn <= lsn)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _segments[lo];
    }

    private SafeFileHandle HandleFor(JournalSegment segment)
    {
        if (segment == _segments[^1] && !_readOnly)
        {
            return _active;
        }

        if (_readCache is { } cached && cached.Segment == segment)
        {
            return cached.Handle;
        }

        _readCache?.Handle.Dispose();
        _readCache = null;
        SafeFileHandle handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        _readCache = (segment, handle);
        return handle;
    }
}
