using SqlSync.Journals;

namespace SqlSync.Replication.Messages;

/// <summary>
/// One part of a journal entry larger than a message can carry (docs/protocol.md, "Entry parts"): the bytes
/// [<paramref name="Offset"/>, <paramref name="Offset"/> + <paramref name="Bytes"/>.Length) of entry <paramref name="Lsn"/>,
/// which is <paramref name="EntryLength"/> bytes long. A sender sends all parts of an entry in order with nothing in
/// between; the receiver reassembles them and handles the whole entry as a one-entry entries message.
/// </summary>
/// <remarks>A sender's part refers to a slice of the journal entry; nothing is copied until it is encoded.</remarks>
internal abstract record EntryPartMessage(string DocumentId, Lsn Lsn, int EntryLength, int Offset, ReadOnlyMemory<byte> Bytes) : SyncMessage
{
    /// <summary>True for the part that completes the entry.</summary>
    public bool IsLast => (long)Offset + Bytes.Length == EntryLength;
}
