using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// Frames a <see cref="FileJournal"/> appended in memory only (<see cref="FileJournal.AppendDeferred"/>), taken by the
/// group commit to be written outside the owner's lock: where they go in the active segment and what became of the
/// write. Written once, by whoever takes the journal's write lock first (the flusher, or a synchronous step that must
/// keep the journal's order).
/// </summary>
internal sealed class DeferredWrite
{
    public DeferredWrite(byte[] bytes, int length, long offset, Lsn first, SafeFileHandle handle, string path)
    {
        Bytes = bytes;
        Length = length;
        Offset = offset;
        First = first;
        Handle = handle;
        Path = path;
    }

    /// <summary>The encoded frames (the first <see cref="Length"/> bytes); never changed once taken.</summary>
    public byte[] Bytes { get; }

    public int Length { get; }

    /// <summary>Where the frames start in the active segment file.</summary>
    public long Offset { get; }

    /// <summary>The LSN of the first frame.</summary>
    public Lsn First { get; }

    /// <summary>The active segment's handle, with a reference taken so a roll cannot close it under the write.</summary>
    public SafeFileHandle Handle { get; }

    public string Path { get; }

    /// <summary>True once written (successfully or not); set under the journal's write lock.</summary>
    public bool Done
    {
        get => Volatile.Read(ref _done);
        set => Volatile.Write(ref _done, value);
    }

    private bool _done;

    /// <summary>Why the write failed (the file was cut back to <see cref="Offset"/> if <see cref="CutBack"/>), or null.</summary>
    public Exception? Failure { get; set; }

    /// <summary>True when, after a failed write, the file was cut back to <see cref="Offset"/> (no partial frame left).</summary>
    public bool CutBack { get; set; }

    /// <summary>True when <paramref name="offset"/> lies in these frames.</summary>
    public bool Covers(long offset) => offset >= Offset && offset < Offset + Length;
}
