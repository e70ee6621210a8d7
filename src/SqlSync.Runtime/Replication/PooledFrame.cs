using System.Buffers;
using System.Runtime.InteropServices;

namespace SqlSync.Replication;

/// <summary>
/// A received frame in an array from <see cref="FramePool"/>, whose bytes a decoded message refers to until its receiver has
/// copied them (an entry's part, copied into the entry being reassembled): <see cref="Release"/> then gives the array
/// back (decision 0043). The bytes are reached through this manager, so after the release any stale use throws
/// instead of reading another frame's bytes.
/// </summary>
internal sealed class PooledFrame : MemoryManager<byte>
{
    private byte[]? _array;
    private readonly int _length;

    public PooledFrame(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>
    /// Gives back the pooled frame <paramref name="bytes"/> are a slice of, if they are one; else does nothing. The caller
    /// must hold no other slice of that frame: a message holds its own frame, and is handled once.
    /// </summary>
    public static void Release(ReadOnlyMemory<byte> bytes)
    {
        if (MemoryMarshal.TryGetMemoryManager(bytes, out PooledFrame? frame))
        {
            frame.Return();
        }
    }

    /// <inheritdoc />
    public override Span<byte> GetSpan() =>
        (_array ?? throw new ObjectDisposedException(nameof(PooledFrame), "the frame's bytes were used after they went back to the pool")).AsSpan(0, _length);

    /// <inheritdoc />
    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        byte[] array = _array ?? throw new ObjectDisposedException(nameof(PooledFrame));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length);
        GCHandle handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
    }

    /// <inheritdoc />
    public override void Unpin()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => Return();

    private void Return()
    {
        byte[]? array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            FramePool.Instance.Return(array);
        }
    }
}
