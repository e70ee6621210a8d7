using System.Globalization;

namespace SqlSync.Journals;

/// <summary>
/// What a <see cref="FileJournal"/> knows about one segment file: its path, first LSN, where each frame
/// starts (the in-memory index, built at open and extended on append) and where the valid frames end.
/// </summary>
internal sealed class JournalSegment
{
    /// <summary>The extension of segment files.</summary>
    public const string Extension = ".seg";

    private readonly List<long> _offsets = new();

    public JournalSegment(string path, Lsn firstLsn, long length)
    {
        Path = path;
        FirstLsn = firstLsn;
        Length = length;
    }

    /// <summary>The full path of the segment file.</summary>
    public string Path { get; }

    /// <summary>The LSN of the segment's first frame, also in its name and header.</summary>
    public Lsn FirstLsn { get; }

    /// <summary>The byte offset just after the segment's last valid frame.</summary>
    public long Length { get; private set; }

    /// <summary>How many frames the segment holds.</summary>
    public int Count => _offsets.Count;

    /// <summary>The LSN the segment's next frame would get.</summary>
    public Lsn Next => new(FirstLsn.Value + (ulong)_offsets.Count);

    /// <summary>True when the segment holds <paramref name="lsn"/>.</summary>
    public bool Contains(Lsn lsn) => lsn >= FirstLsn && lsn < Next;

    /// <summary>The byte offset of the frame for <paramref name="lsn"/>, which the segment must hold.</summary>
    public long OffsetOf(Lsn lsn) => _offsets[checked((int)(lsn.Value - FirstLsn.Value))];

    /// <summary>The size in bytes of the frame for <paramref name="lsn"/>, which the segment must hold.</summary>
    public long SizeOf(Lsn lsn)
    {
        int index = checked((int)(lsn.Value - FirstLsn.Value));
        return (index + 1 < _offsets.Count ? _offsets[index + 1] : Length) - _offsets[index];
    }

    /// <summary>Records a frame of <paramref name="size"/> bytes written at the current end.</summary>
    public void AddFrame(long size)
    {
        _offsets.Add(Length);
        Length += size;
    }

    /// <summary>Forgets the frames from <paramref name="offset"/> on (a frame boundary): a deferred write of them failed.</summary>
    public void TruncateTo(long offset)
    {
        int keep = _offsets.Count;
        while (keep > 0 && _offsets[keep - 1] >= offset)
        {
            keep--;
        }

        _offsets.RemoveRange(keep, _offsets.Count - keep);
        Length = offset;
    }

    /// <summary>The file name of the segment whose first LSN is <paramref name="firstLsn"/>.</summary>
    public static string FileNameFor(Lsn firstLsn) =>
        firstLsn.Value.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>Parses a segment file name back to its first LSN.</summary>
    public static bool TryParseFileName(string fileName, out Lsn firstLsn)
    {
        firstLsn = default;
        if (fileName.Length != 20 + Extension.Length || !fileName.EndsWith(Extension, StringComparison.Ordinal)
            || !ulong.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
        {
            return false;
        }

        firstLsn = new Lsn(value);
        return true;
    }
}
