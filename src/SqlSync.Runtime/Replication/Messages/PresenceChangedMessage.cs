namespace SqlSync.Replication.Messages;

/// <summary>
/// Server → client: another client of the document published its presence state (<paramref name="Present"/>
/// true) or left (false: it disconnected, closed the document, or its state expired; <paramref name="State"/> empty).
/// <paramref name="PeerId"/> names the other client's connection for as long as it lasts.
/// </summary>
internal sealed record PresenceChangedMessage(string DocumentId, string PeerId, bool Present, ReadOnlyMemory<byte> State) : SyncMessage
{
    private byte[]? _frame;

    /// <inheritdoc />
    public override SyncMessageType Type => SyncMessageType.PresenceChanged;

    /// <summary>
    /// The encoded frame, made once: the hub fans one instance out to every viewer of the document, so 50 viewers
    /// cost one encoding (two threads racing encode the same bytes; either array is kept).
    /// </summary>
    internal byte[] Frame => Volatile.Read(ref _frame) ?? Interlocked.CompareExchange(ref _frame, SyncMessageCodec.Encode(this), null) ?? _frame!;

    /// <summary>Equal fields, the state by content (the cached frame is no part of the value).</summary>
    public bool Equals(PresenceChangedMessage? other) =>
        other is not null && DocumentId == other.DocumentId && PeerId == other.PeerId && Present == other.Present && State.Span.SequenceEqual(other.State.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DocumentId, PeerId, Present, State.Length);
}
