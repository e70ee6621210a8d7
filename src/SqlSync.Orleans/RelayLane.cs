using System.Threading.Channels;
using SqlSync.Replication.Messages;

namespace SqlSync.Orleans;

/// <summary>One document of a relayed connection: its messages in order, applied one grain call at a time.</summary>
internal sealed class RelayLane
{
    /// <summary>Messages queued per document; a client that keeps sending to a busy document waits here.</summary>
    private const int Capacity = 64;

    public RelayLane(string documentId) => DocumentId = documentId;

    public string DocumentId { get; }

    /// <summary>A message to relay; null asks for a poll of the document's storage.</summary>
    public Channel<SyncMessage?> Messages { get; } = Channel.CreateBounded<SyncMessage?>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public Task Worker { get; set; } = Task.CompletedTask;

    /// <summary>True while the grain holds a link for this connection (from its open until a refusal or a move).</summary>
    public bool Attached { get; set; }

    /// <summary>The grain activation that answered the open (see <see cref="IDocumentObserver.IsServedBy"/>).</summary>
    public Guid Activation { get; set; }

    /// <summary>1 while a poll is queued: one at a time, so a slow client holds one poll, not one per step.</summary>
    public int PollPending;

    /// <summary>Queues a poll unless one is queued (a full lane has messages whose replies poll too).</summary>
    public void RequestPoll()
    {
        if (Interlocked.Exchange(ref PollPending, 1) == 0 && !Messages.Writer.TryWrite(null))
        {
            Interlocked.Exchange(ref PollPending, 0);
        }
    }
}
