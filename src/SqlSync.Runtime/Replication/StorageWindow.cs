namespace SqlSync.Replication;

/// <summary>
/// The storage messages a server link has in flight for one document (decision 0030): what each will leave the client
/// holding, in the order sent. The client answers every storage message, entry or checkpoint slice, with exactly one
/// acknowledgement, in order, so the oldest one sent is the one acknowledged. An acknowledgement that says the client
/// holds less than its message should have left it with (a gap, a slice it ignored) rewinds the sender; the messages
/// sent after it then arrive where the client does not stand, are ignored, and their acknowledgements are only counted
/// (they are stale), so nothing is sent twice for one rewind.
/// </summary>
internal sealed class StorageWindow
{
    private readonly Queue<Sent> _sent = new();

    /// <summary>Messages sent and not acknowledged.</summary>
    public int Count => _sent.Count;

    /// <summary>The oldest unacknowledged message is a checkpoint offer, whose answer says where the download starts.</summary>
    public bool OfferPending => _sent.TryPeek(out Sent oldest) && oldest.Kind == SentKind.Offer;

    /// <summary>Records a message sent that leaves the client at <paramref name="expectedEnd"/> (an LSN's value or a checkpoint offset).</summary>
    public void Add(SentKind kind, long expectedEnd) => _sent.Enqueue(new Sent(kind, expectedEnd, Stale: false));

    /// <summary>
    /// Takes the acknowledgement of the oldest message, in which the client holds <paramref name="held"/>. Returns what
    /// that message was (null when none was in flight) and whether the sender must go on from <paramref name="held"/>
    /// instead of where it stands (the client holds something else than the message should have left it with); then
    /// every message still in flight is stale.
    /// </summary>
    public (SentKind? Kind, bool Rewind) Acknowledge(long held)
    {
        if (!_sent.TryDequeue(out Sent oldest))
        {
            return (null, false);
        }

        bool rewind = !oldest.Stale && oldest.Kind != SentKind.Offer && held != oldest.ExpectedEnd;
        if (rewind)
        {
            MarkStale();
        }

        return (oldest.Kind, rewind);
    }

    /// <summary>Every message in flight is answered without moving the sender (the sender was moved already).</summary>
    public void MarkStale()
    {
        int count = _sent.Count;
        for (int i = 0; i < count; i++)
        {
            Sent sent = _sent.Dequeue();
            _sent.Enqueue(sent with { Stale = true });
        }
    }

    private readonly record struct Sent(SentKind Kind, long ExpectedEnd, bool Stale);
}
