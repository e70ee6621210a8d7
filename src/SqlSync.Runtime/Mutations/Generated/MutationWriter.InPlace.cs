namespace SqlSync.Mutations.Generated;

/// <summary>
/// Internal writes whose bytes the caller produces straight into the buffer (the replication codec compresses
/// entries in place this way), and the roll-back of an attempt given up. None changes the bytes of a record.
/// </summary>
public sealed partial class MutationWriter
{
    /// <summary>
    /// A writer whose first buffer is not zeroed (a frame of a megabyte is written whole anyway): only the bytes written
    /// are ever read from it (<see cref="WrittenMemory"/>).
    /// </summary>
    internal static MutationWriter WithUninitializedBuffer(int capacity) => new(GC.AllocateUninitializedArray<byte>(Math.Max(16, capacity)));

    /// <summary>A writer into <paramref name="buffer"/> (a pooled one), which it leaves for a larger array of its own only if it must grow.</summary>
    internal static MutationWriter Over(byte[] buffer) => new(buffer);

    private MutationWriter(byte[] buffer)
    {
        _buffer = buffer;
    }

    /// <summary>The bytes written, without a copy: the caller must not write with this writer again while it uses them.</summary>
    internal ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>
    /// Room for the content of a <c>bytes</c> field of at most <paramref name="maxLength"/> bytes, after space for
    /// its varint length. Writes nothing: fill a prefix of the span, then <see cref="CommitBytes"/> writes the field.
    /// </summary>
    internal Span<byte> GetBytesSpan(int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        int prefix = VarUInt64Size((ulong)maxLength);
        EnsureCapacity(prefix + maxLength);
        return _buffer.AsSpan(_length + prefix, maxLength);
    }

    /// <summary>
    /// Writes the <c>bytes</c> field whose first <paramref name="length"/> bytes were produced in
    /// <see cref="GetBytesSpan"/>(<paramref name="maxLength"/>), with nothing written in between: the same bytes as
    /// <see cref="WriteBytes(ReadOnlySpan{byte})"/>. The content moves down only when its varint is shorter than the room left for it.
    /// </summary>
    internal void CommitBytes(int maxLength, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, maxLength);
        int prefix = VarUInt64Size((ulong)maxLength);
        int start = _length;
        if (prefix + maxLength > _buffer.Length - start)
        {
            throw new InvalidOperationException("CommitBytes without the GetBytesSpan that reserved its room.");
        }

        int lengthSize = WriteVarUInt64(ref _buffer[start], (ulong)length);
        if (lengthSize != prefix)
        {
            _buffer.AsSpan(start + prefix, length).CopyTo(_buffer.AsSpan(start + lengthSize));
        }

        _length = start + lengthSize + length;
    }

    /// <summary>Forgets the bytes written after the first <paramref name="length"/>: an attempt given up.</summary>
    internal void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }
}
