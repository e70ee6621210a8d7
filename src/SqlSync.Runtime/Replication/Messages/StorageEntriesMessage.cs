using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>Server → client: a run of the document's storage entries.</summary>
/// <remarks>
/// The server sends one instance to every client that lacks the same entries, so the frame is encoded
/// once and kept (<see cref="SyncMessageCodec.Encode"/>); the message is immutable, so the bytes never go stale.
/// </remarks>
internal sealed record StorageEntriesMessage(string DocumentId, JournalPartial Entries) : SyncMessage
{
    private object? _frame; // a boxed ReadOnlyMemory, written once

    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.StorageEntries;

    /// <summary>The encoded frame, once <see cref="SyncMessageCodec.Encode"/> made it; never written to after.</summary>
    internal ReadOnlyMemory<byte>? Frame
    {
        get => Volatile.Read(ref _frame) is ReadOnlyMemory<byte> frame ? frame : (ReadOnlyMemory<byte>?)null; // not a bare null: that would convert to an empty frame
        set => Volatile.Write(ref _frame, value);
    }

    /// <summary>Equal when the document and the entries are; the cached frame does not count.</summary>
    public bool Equals(StorageEntriesMessage? other) =>
        other is not null && DocumentId == other.DocumentId && Equals(Entries, other.Entries);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DocumentId, Entries);
}
