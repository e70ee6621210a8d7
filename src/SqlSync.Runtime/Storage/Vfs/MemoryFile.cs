namespace SqlSync.Storage.Vfs;

/// <summary>A growable byte buffer with file semantics (sparse writes zero-fill, reads past the end are short).</summary>
internal sealed class MemoryFile
{
    private readonly object _sync = new();
    private byte[] _data = Array.Empty<byte>();
    private long _length;

    public long Length
    {
        get
        {
            lock (_sync) return _length;
        }
    }

    public bool Read(Span<byte> destination, long offset)
    {
        lock (_sync)
        {
            long available = Math.Max(0, Math.Min(destination.Length, _length - offset));
            if (available > 0)
            {
                _data.AsSpan((int)offset, (int)available).CopyTo(destination);
            }

            destination[(int)available..].Clear();
            return available == destination.Length;
        }
    }

    public void Write(ReadOnlySpan<byte> source, long offset)
    {
        lock (_sync)
        {
            long end = offset + source.Length;
            if (end > _data.Length)
            {
                Array.Resize(ref _data, (int)Math.Max(end, Math.Min((long)_data.Length * 2, int.MaxValue)));
            }

            source.CopyTo(_data.AsSpan((int)offset));
            _length = Math.Max(_length, end);
        }
    }

    public void Truncate(long size)
    {
        lock (_sync)
        {
            if (size < _length)
            {
                _data.AsSpan((int)size, (int)(_length - size)).Clear();
            }

            _length = size;
        }
    }
}
