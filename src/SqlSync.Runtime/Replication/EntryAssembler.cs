using SqlSync.Journals;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

/// <summary>
/// Reassembles one journal entry from its parts on the receiving end of a link (docs/protocol.md, "Entry parts").
/// A link holds at most one entry in reassembly: its parts arrive in order, contiguous, from offset 0 to the
/// entry's length, with no other message in between. The entry may be at most the receiver's limit; the buffer
/// grows with the bytes received (from one frame's worth, doubling), so a peer that announces a large entry
/// but sends little makes the receiver hold little. On a server the buffer is charged to the budget all connections
/// share (a buffer that does not fit is refused with <see cref="ProtocolErrorCode.ServerBusy"/>) and given back when the
/// entry completes or is dropped. Not thread-safe: its link serializes calls.
/// </summary>
internal sealed class EntryAssembler
{
    private readonly int _maxEntryBytes;
    private readonly int _initialBytes;
    private readonly IMemoryBudget? _budget;
    private EntryPartMessage? _first;
    private byte[] _buffer = Array.Empty<byte>();
    private int _received;
    private long _charged;

    /// <summary>
    /// Accepts entries of at most <paramref name="maxEntryBytes"/>; starts a buffer at <paramref name="initialBytes"/> at most;
    /// charges its buffer to <paramref name="budget"/> when there is one.
    /// </summary>
    public EntryAssembler(int maxEntryBytes, int initialBytes, IMemoryBudget? budget = null)
    {
        _maxEntryBytes = maxEntryBytes;
        _initialBytes = Math.Max(1, initialBytes);
        _budget = budget;
    }

    /// <summary>True while an entry has some parts but not all.</summary>
    public bool InProgress => _first is not null;

    /// <summary>The document of the entry in reassembly, or null.</summary>
    public string? DocumentId => _first?.DocumentId;

    /// <summary>
    /// Adds the next part and returns the whole entry when the part completes it, else null. A part that does not
    /// continue the entry in reassembly, starts an entry anywhere but at offset 0, or announces an entry over the
    /// limit throws a protocol exception and leaves nothing behind.
    /// </summary>
    public byte[]? Add(EntryPartMessage part)
    {
        if (_first is null)
        {
            if (part.Offset != 0)
            {
                throw Fail(ProtocolErrorCode.UnexpectedMessage, part.DocumentId,
                    $"a part at offset {part.Offset} of entry {part.Lsn} without the entry's first part");
            }

            if (part.EntryLength > _maxEntryBytes)
            {
                throw Fail(ProtocolErrorCode.FrameTooLarge, part.DocumentId,
                    $"entry {part.Lsn} of {part.EntryLength} bytes exceeds this end's entry limit of {_maxEntryBytes} bytes");
            }

            _first = part;
            _received = 0;
            _buffer = Allocate(Math.Min(part.EntryLength, Math.Max(_initialBytes, part.Bytes.Length)));
        }
        else if (part.DocumentId != _first.DocumentId || part.Lsn != _first.Lsn || part.EntryLength != _first.EntryLength)
        {
            throw Fail(ProtocolErrorCode.UnexpectedMessage, part.DocumentId,
                $"a part of entry {part.Lsn} ({part.EntryLength} bytes, document '{part.DocumentId}') while {Describe()} is unfinished");
        }
        else if (part.Offset != _received)
        {
            throw Fail(ProtocolErrorCode.UnexpectedMessage, part.DocumentId,
                $"a part at offset {part.Offset} of entry {part.Lsn}, which has {_received} of {_first.EntryLength} bytes: parts must be contiguous and in order");
        }

        int end = _received + part.Bytes.Length; // the codec checked that it stays within the entry length
        if (end > _buffer.Length)
        {
            // Doubling keeps the copies to about the entry's size in all; the last buffer is exactly the entry.
            byte[] larger = Allocate((int)Math.Min(_first.EntryLength, Math.Max(end, 2L * _buffer.Length)));
            _buffer.AsSpan(0, _received).CopyTo(larger);
            _buffer = larger;
        }

        part.Bytes.Span.CopyTo(_buffer.AsSpan(_received));
        _received = end;
        if (_received < _first.EntryLength)
        {
            return null;
        }

        byte[] entry = _buffer;
        Reset();
        return entry;
    }

    /// <summary>Throws when an entry is unfinished: <paramref name="message"/>, not its next part, came first.</summary>
    public void ThrowIfUnfinished(SyncMessage message)
    {
        if (_first is not null)
        {
            string documentId = _first.DocumentId;
            string unfinished = Describe();
            Reset(); // the link closes; the partial entry is dropped
            throw Fail(ProtocolErrorCode.UnexpectedMessage, documentId, $"{message.Type} while {unfinished} is unfinished");
        }
    }

    /// <summary>Drops an unfinished entry (the link is gone) or lets go of a finished one; its bytes go back to the budget.</summary>
    public void Reset()
    {
        _first = null;
        _buffer = Array.Empty<byte>();
        _received = 0;
        if (_charged > 0)
        {
            _budget!.Release(_charged);
            _charged = 0;
        }
    }

    /// <summary>A buffer of <paramref name="length"/> bytes, charged to the budget first (the smaller one it replaces stays charged until then).</summary>
    private byte[] Allocate(int length)
    {
        if (_budget is not null)
        {
            if (!_budget.TryReserve(length))
            {
                string documentId = _first!.DocumentId;
                throw Fail(ProtocolErrorCode.ServerBusy, documentId,
                    $"entry {_first.Lsn} of {_first.EntryLength} bytes needs a buffer of {length} bytes; the server holds {_budget.HeldBytes} of its {_budget.MaxBytes} bytes for messages and entries still arriving; try again later");
            }

            // The buffer it replaces is dropped just after: its charge goes back now.
            _budget.Release(_charged);
            _charged = length;
        }

        return GC.AllocateUninitializedArray<byte>(length); // handed out only once every byte was received into it
    }

    /// <summary>The whole entry as a one-entry partial, for the handler of entries messages.</summary>
    public static JournalPartial AsPartial(Lsn lsn, byte[] entry) => new(LsnRange.Inclusive(lsn, lsn), new ReadOnlyMemory<byte>[] { entry });

    private string Describe() => $"entry {_first!.Lsn} of document '{_first.DocumentId}' ({_received} of {_first.EntryLength} bytes received)";

    private SqlSyncException Fail(ProtocolErrorCode code, string documentId, string message)
    {
        Reset();
        SqlSyncException exception = ProtocolException.Create(code, $"document '{documentId}': {message}");
        exception.Data["DocumentId"] = documentId;
        return exception;
    }
}
