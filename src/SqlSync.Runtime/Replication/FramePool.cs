using System.Buffers;

namespace SqlSync.Replication;

/// <summary>
/// The pool of frames that entry parts travel in (decision 0043): sent from and received into, given back after the send
/// or once the part is copied. A pool of its own, not the shared one, so that what it keeps is bounded and known: at most
/// <see cref="ArraysPerSize"/> arrays of each power-of-two size up to <see cref="MaxPooledLength"/> (16 MiB in all, for
/// the whole process). A larger frame (a part budget over the default) is allocated and left to the GC.
/// </summary>
internal static class FramePool
{
    /// <summary>The largest array kept: a default part's frame (<see cref="ReplicationOptions.MaxEntryBytesPerMessage"/>).</summary>
    public const int MaxPooledLength = 1 << 20;

    /// <summary>Arrays kept per size.</summary>
    public const int ArraysPerSize = 8;

    public static ArrayPool<byte> Instance { get; } = ArrayPool<byte>.Create(MaxPooledLength, ArraysPerSize);
}
