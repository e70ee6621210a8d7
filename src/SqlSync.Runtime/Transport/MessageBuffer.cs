using System.Buffers;
using System.Numerics;
using SqlSync.Replication;

namespace SqlSync.Transport;

/// <summary>
/// The buffer of one incoming message: it grows with the bytes that arrive (doubling, up to the length the frame
/// header announces), so a peer that announces a large message but sends little makes the receiver hold little.
/// Small buffers come from the shared array pool; larger ones are plain allocations, dropped when the message is
/// decoded: the shared pool keeps what is returned to it, so a burst of hostile large messages would otherwise stay
/// cached in the process for good. Every buffer is charged to an optional <see cref="ReceiveBudget"/> before it is
/// allocated. Not thread-safe: one receive loop owns it.
/// </summary>
internal sealed class MessageBuffer : IDisposable
{
    /// <summary>The largest buffer taken from (and returned to) the shared pool, whose cache of such arrays is small and bounded.</summary>
    public const int PooledLimit = 64 << 10;

    private readonly ReceiveBudget? _budget;
    private readonly bool _poolAnySize;
    private byte[] _array = Array.Empty<byte>();
    private int _size; // what was asked for: a pooled array may be longer, and its slack is never offered to the socket
    private bool _pooled;
    private int _charged;

    /// <summary>
    /// A buffer charged to <paramref name="budget"/> when there is one; with <paramref name="poolAnySize"/>, taken from the
    /// frame pool (<see cref="FramePool"/>) whatever its size, for a frame whose bytes leave with <see cref="TakePooled"/> (decision 0043).
    /// </summary>
    public MessageBuffer(ReceiveBudget? budget, bool poolAnySize = false)
    {
        _budget = budget;
        _poolAnySize = poolAnySize;
    }

    /// <summary>The bytes received so far.</summary>
    public int Length { get; set; }

    /// <summary>The room after the bytes received.</summary>
    public Memory<byte> Free => _array.AsMemory(Length, _size - Length);

    /// <summary>The bytes received.</summary>
    public ReadOnlySpan<byte> Written => _array.AsSpan(0, Length);

    /// <summary>
    /// The bytes received, to keep after this buffer is disposed (decision 0039), or empty when the array comes from the
    /// shared pool (it is handed out again: its bytes must be copied). A large buffer is never reused, so a message
    /// decoded from it may refer to it instead of copying its entries.
    /// </summary>
    public ReadOnlyMemory<byte> Keepable => _pooled ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, Length);

    /// <summary>
    /// Makes room for more bytes: doubling (from up to 64 KiB), never past <paramref name="capacity"/> (the message's
    /// announced length); without a budget, the announced length at once. Throws <see cref="ProtocolErrorCode.ServerBusy"/> when the budget cannot cover the larger buffer.
    /// </summary>
    public void Grow(int capacity)
    {
        // Without a budget (a client, whose one server is bounded by its frame limit and read-ahead) the buffer is the
        // announced length at once: doubling a megabyte frame copied it twice over (decision 0039).
        int size = _budget is null ? capacity : (int)Math.Min(capacity, Math.Max(Math.Min(PooledLimit, capacity), 2L * _array.Length));
        if (size <= _size)
        {
            return;
        }

        bool pooled = _poolAnySize || size <= PooledLimit;
        int charge = pooled ? (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(size, 16)) : size; // what Rent hands out
        if (_budget is not null && !_budget.TryReserve(charge - _charged)) // the smaller buffer is given back just below
        {
            throw ProtocolException.Create(ProtocolErrorCode.ServerBusy,
                $"the server holds {_budget.HeldBytes} of its {_budget.MaxBytes} bytes for messages still arriving; try again later");
        }

        byte[] larger = pooled ? Pool.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        Written.CopyTo(larger);
        ReturnArray();
        _array = larger;
        _size = size;
        _pooled = pooled;
        _charged = charge;
    }

    /// <summary>
    /// The bytes received, in a pooled array this buffer no longer owns: a message decoded from them refers to them until
    /// <see cref="PooledFrame.Release"/>, which gives the array back. Only for a buffer made with <c>poolAnySize</c>.
    /// </summary>
    public ReadOnlyMemory<byte> TakePooled()
    {
        if (!_pooled || !_poolAnySize)
        {
            throw new InvalidOperationException("Only a frame-pool buffer can be taken.");
        }

        var frame = new PooledFrame(_array, Length);
        _budget?.Release(_charged);
        _charged = 0;
        _pooled = false;
        _array = Array.Empty<byte>();
        _size = 0;
        Length = 0;
        return frame.Memory;
    }

    /// <summary>Where pooled arrays come from: the frame pool for parts, the shared pool for small frames.</summary>
    private ArrayPool<byte> Pool => _poolAnySize ? FramePool.Instance : ArrayPool<byte>.Shared;

    /// <summary>Returns the buffer (to the pool, or to the GC) and its bytes to the budget.</summary>
    public void Dispose()
    {
        Release();
        _array = Array.Empty<byte>();
        _size = 0;
        _charged = 0;
        Length = 0;
    }

    private void Release()
    {
        _budget?.Release(_charged);
        _charged = 0;
        ReturnArray();
    }

    private void ReturnArray()
    {
        if (_pooled)
        {
            Pool.Return(_array);
            _pooled = false;
        }
    }
}
