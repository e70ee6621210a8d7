using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// A durable journal in a directory of segment files (<c>{first LSN, 20 digits}.seg</c>). Each segment starts
/// with a checksummed header; each entry is a frame of length, LSN, payload and checksum (docs/formats.md).
/// <see cref="Open"/> checks every frame, cuts a torn tail left by a crash, and reports damage anywhere else as
/// <see cref="SqlSyncErrorCode.JournalCorrupt"/>. Reads go to the files through an in-memory index of frame
/// offsets, and are checked again. Not thread-safe, like every <see cref="IJournal"/>; one instance owns the
/// directory (a second <see cref="Open"/> of it fails while the first is open). <see cref="OpenReadOnly"/>
/// opens it for tools: it changes nothing on disk and takes no lock.
/// </summary>
internal sealed partial class FileJournal : IJournal
{
    private readonly string _directory;
    private readonly FileJournalOptions _options;
    private readonly SafeFileHandle? _lock;
    private readonly bool _readOnly;
    private readonly List<JournalSegment> _segments = new();
    private SafeFileHandle _active = null!;
    private (JournalSegment Segment, SafeFileHandle Handle)? _readCache;
    private Lsn _first;
    private bool _fresh;
    private bool _dirty;

    /// <summary>Frames up to this size are encoded into <see cref="_frameBuffer"/>; larger ones into their own array.</summary>
    private const int FrameBufferSize = 64 * 1024;
    private byte[]? _frameBuffer;
    private bool _disposed;
    private string? _failure;

    private FileJournal(string directory, FileJournalOptions options, SafeFileHandle? lockHandle)
    {
        _directory = directory;
        _options = options;
        _lock = lockHandle;
        _readOnly = lockHandle is null;
    }

    /// <summary>The directory that holds the journal's files.</summary>
    public string DirectoryPath => _directory;

    /// <summary>The torn tail found at open (cut by <see cref="Open"/>, left by <see cref="OpenReadOnly"/>), or null.</summary>
    public JournalTornTail? TornTail { get; private set; }

    /// <summary>True when opened with <see cref="OpenReadOnly"/>: every write throws <see cref="SqlSyncErrorCode.JournalReadOnly"/>.</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>How messages name this journal: "The storage journal" or "The journal in 'DIR'".</summary>
    private string Subject => _options.Label is { } label ? $"The {label} journal" : $"The journal in '{_directory}'";

    /// <summary>How messages name a segment: by its first LSN under a label, else by its full path.</summary>
    internal static string SegmentName(FileJournalOptions options, string path, Lsn firstLsn) =>
        options.Label is { } label ? $"Segment {firstLsn} of the {label} journal" : $"Journal segment '{path}'";

    /// <inheritdoc />
    public LsnRange Range
    {
        get
        {
            Lsn next = _segments[^1].Next;
            return next == _first ? LsnRange.EmptyAt(next) : LsnRange.Inclusive(_first, new Lsn(next.Value - 1));
        }
    }

    /// <inheritdoc />
    public Lsn Append(ReadOnlySpan<byte> entry)
    {
        ThrowIfUnusable(write: true);
        WriteDeferred(); // entries appended in memory go first: the file keeps the LSN order
        Lsn lsn = _segments[^1].Next;
        AppendFrame(lsn, entry, _options.FsyncOnAppend);
        return lsn;
    }

    /// <inheritdoc />
    public void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry) => AppendAt(lsn, entry, _options.FsyncOnAppend);

    /// <summary>
    /// <see cref="AppendAt(Lsn, ReadOnlySpan{byte})"/>, written to the file but fsync'd only with <paramref name="fsync"/>:
    /// a replica taking a batch of entries makes them durable with one <see cref="Flush"/> before it acknowledges them.
    /// </summary>
    internal void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry, bool fsync) => AppendAt(lsn, entry, fsync, ReadOnlyMemory<byte>.Empty);

    /// <summary>
    /// <see cref="AppendAt(Lsn, ReadOnlySpan{byte}, bool)"/> of an entry in memory: a large one is written with its frame's
    /// header and checksum around it in one gathered write, not copied into a frame first (decision 0039).
    /// </summary>
    internal void AppendAt(Lsn lsn, ReadOnlyMemory<byte> entry, bool fsync) => AppendAt(lsn, entry.Span, fsync, entry);

    private void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry, bool fsync, ReadOnlyMemory<byte> gather)
    {
        ThrowIfUnusable(write: true);
        WriteDeferred();
        if (_fresh && lsn != _segments[^1].FirstLsn)
        {
            // A journal that never held an entry may start anywhere: replace its empty segment(s).
            Io("start the journal at LSN " + lsn, () =>
            {
                _active.Dispose();
                foreach (JournalSegment segment in _segments)
                {
                    File.Delete(segment.Path);
                }

                _segments.Clear();
                _segments.Add(CreateSegmentFile(lsn));
                _active = OpenActive(_segments[0]);
                _first = lsn;
            });
        }
        else if (lsn != _segments[^1].Next)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                $"Cannot append LSN {lsn} to {char.ToLowerInvariant(Subject[0])}{Subject[1..]}, whose next LSN is {_segments[^1].Next}.");
        }

        AppendFrame(lsn, entry, fsync, gather);
    }

    /// <inheritdoc />
    public void DropPrefix(Lsn last)
    {
        ThrowIfUnusable(write: true);
        LsnRange range = Range;
        if (range.IsEmpty || last < range.First)
        {
            return;
        }

        Lsn newFirst = (last < range.Last ? last : range.Last).Next;
        Io("drop a prefix", () =>
        {
            // The marker must never point past durable entries, and it must be durable before files go.
            FlushActive();
            JournalStartMarker.Write(_directory, newFirst);
            _first = newFirst;
            if (newFirst == _segments[^1].Next && _segments[^1].Count > 0)
            {
                // Everything is dropped: start an empty segment at the next LSN so every older file can go.
                Roll(newFirst);
            }

            int remove = 0;
            while (remove + 1 < _segments.Count && _segments[remove].Next <= newFirst)
            {
                if (_readCache is { } cached && cached.Segment == _segments[remove])
                {
                    cached.Handle.Dispose();
                    _readCache = null;
                }

                File.Delete(_segments[remove].Path);
                remove++;
            }

            _segments.RemoveRange(0, remove);
            if (remove > 0)
            {
                DurableFile.FlushDirectory(_directory);
            }
        });
    }

    /// <inheritdoc />
    public void Flush()
    {
        ThrowIfUnusable(write: true);
        Io("flush", FlushActive);
    }

    /// <summary>Stretches shorter than this are not worth a call to let go of: they wait for the next.</summary>
    internal const long MinReleasedBytes = 1 << 20;

    /// <summary>The segment <see cref="ReleaseFlushedPages"/> last let go of, and up to which offset.</summary>
    private (JournalSegment? Segment, long End) _released;

    /// <summary>
    /// Lets the operating system drop the page-cache copy of what the active segment holds, flushed, beyond what was let go
    /// of before, once that is at least <see cref="MinReleasedBytes"/> (decision 0043). For a journal written once and
    /// read back rarely (a client's received storage: its pages are in the page view, the file is read at reopen): the
    /// cached copy would double the memory a large sync takes, and on a virtual machine whose host reclaims free guest
    /// memory each new cache page costs a fault on the host (measured: writes 4 to 10 times slower). Nothing unflushed is
    /// touched; on platforms without the advice it does nothing.
    /// </summary>
    internal void ReleaseFlushedPages()
    {
        ThrowIfUnusable(write: true);
        JournalSegment active = _segments[^1];
        if (_dirty || HasDeferred || !LibC.CanDropFromPageCache)
        {
            return;
        }

        long start = _released.Segment == active && _released.End <= active.Length ? _released.End : 0;
        if (active.Length - start >= MinReleasedBytes)
        {
            ReleaseTail(active, start);
        }
    }

    /// <summary>
    /// Advises dropping <paramref name="segment"/> (the active one, flushed) from <paramref name="start"/> to its end. The
    /// range starts at the page boundary below: the page the last release ended in was only partly written then and stayed.
    /// </summary>
    private void ReleaseTail(JournalSegment segment, long start)
    {
        long from = start & ~(long)(Environment.SystemPageSize - 1);
        LibC.DropFromPageCache(_active, from, segment.Length - from);
        _released = (segment, segment.Length);
    }

    /// <summary>
    /// Forces the active segment to disk even if this instance appended nothing: after a reopen, entries an
    /// earlier instance appended without a flush (a flush that failed) may sit only in the page cache.
    /// </summary>
    internal void FlushWritten()
    {
        ThrowIfUnusable(write: true);
        _dirty = true;
        Io("flush", FlushActive);
    }

    /// <summary>Closes the journal's files. Entries not yet flushed (with <see cref="FileJournalOptions.FsyncOnAppend"/>
    /// off) are left to the operating system; call <see cref="Flush"/> first to make them durable.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _readCache?.Handle.Dispose();
        _readCache = null;
        _active?.Dispose();
        _lock?.Dispose();
    }

    private void AppendFrame(Lsn lsn, ReadOnlySpan<byte> entry, bool fsync, ReadOnlyMemory<byte> gather = default)
    {
        // Small frames (every local Mutate's) go through one buffer kept across appends, and no closure.
        JournalFrame.CheckPayloadSize(entry.Length);
        int size = (int)JournalFrame.SizeOf(entry.Length);
        ReadOnlyMemory<byte>[]? gathered = null;
        ReadOnlySpan<byte> frame;
        if (size > FrameBufferSize && !gather.IsEmpty)
        {
            byte[] header = new byte[JournalFrame.HeaderSize], trailer = new byte[JournalFrame.TrailerSize];
            JournalFrame.EncodeAround(header, trailer, lsn, gather.Span);
            gathered = [header, gather, trailer];
            frame = default;
        }
        else
        {
            byte[] buffer = size <= FrameBufferSize ? _frameBuffer ??= new byte[FrameBufferSize] : new byte[size];
            frame = buffer.AsSpan(0, JournalFrame.EncodeInto(buffer, lsn, entry));
        }

        JournalSegment active = _segments[^1];
        if (active.Count > 0 && active.Length + size > _options.SegmentSizeBytes)
        {
            Io($"start a segment at LSN {lsn}", () => Roll(lsn));
            active = _segments[^1];
        }

        try
        {
            StorageFaults.Check(active.Path, "write");
            if (gathered is not null)
            {
                RandomAccess.Write(_active, gathered, active.Length);
            }
            else
            {
                RandomAccess.Write(_active, frame, active.Length);
            }
            if (fsync)
            {
                StorageFaults.Check(active.Path, "flush");
                RandomAccess.FlushToDisk(_active);
            }
            else
            {
                _dirty = true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A write that failed half-way (no space) must not leave part of a frame: cut back to the last
            // whole frame, which needs no space. Then the journal is as before the call and stays usable.
            if (TryCutTo(active.Length))
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalIo,
                    $"{Subject} could not append LSN {lsn}: {Describe(e)}; nothing was appended.", e);
            }

            throw IoFailure($"append LSN {lsn}", e);
        }

        active.AddFrame(size);
        _fresh = false;
    }

    private bool TryCutTo(long length)
    {
        try
        {
            RandomAccess.SetLength(_active, length);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Seals the active segment (durably) and starts a new one whose first LSN is <paramref name="next"/>.</summary>
    private void Roll(Lsn next)
    {
        FlushActive();
        if (_released.Segment == _segments[^1] && LibC.CanDropFromPageCache)
        {
            ReleaseTail(_released.Segment, _released.End); // a journal that lets go of its pages does so to the end of each segment
        }

        JournalSegment segment = CreateSegmentFile(next);
        SafeFileHandle handle = OpenActive(segment);
        _active.Dispose();
        _active = handle;
        _segments.Add(segment);
    }

    private void FlushActive()
    {
        WriteDeferred();
        if (_dirty)
        {
            StorageFaults.Check(_segments[^1].Path, "flush");
            RandomAccess.FlushToDisk(_active);
            _dirty = false;
        }
    }

    /// <summary>
    /// Runs a file-system step, turning I/O failures into <see cref="SqlSyncErrorCode.JournalIo"/>. After a failed
    /// write or fsync the state of the files is unknown, so the journal refuses further use until reopened.
    /// </summary>
    private void Io(string action, Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoFailure(action, e);
        }
    }

    /// <summary>Marks the journal unusable after a failed <paramref name="action"/> and returns the error to throw.</summary>
    private SqlSyncException IoFailure(string action, Exception e)
    {
        _failure = $"could not {action}: {Describe(e)}";
        return new SqlSyncException(SqlSyncErrorCode.JournalIo, $"{Subject} {_failure}", e);
    }

    /// <summary>The OS's message names the file by its full path: kept for a journal without a label only.</summary>
    private string Describe(Exception e) => _options.Label is null ? e.Message : StorageFaults.Describe(e);

    private void ThrowIfUnusable(bool write = false)
    {
        if (_disposed)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalClosed, $"{Subject} was disposed.");
        }

        if (write && _readOnly)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalReadOnly, $"{Subject} was opened read-only.");
        }

        if (_failure is not null)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo,
                $"{Subject} failed earlier ({_failure}); dispose it and open it again.");
        }
    }
}
