using System.Threading.Channels;
using SqlSync.Replication.Messages;

namespace SqlSync.Server;

/// <summary>
/// The presence messages waiting to be sent to one connection, bounded in bytes. Only the newest state of a
/// peer in a document matters, so a newer message replaces a waiting one of the same peer in place (a slow
/// viewer gets the newest state, never a backlog); when the waiting bytes still pass the bound, the oldest
/// messages are dropped (their peers' next refresh, within <see cref="PresenceOptions.Timeout"/>, repairs
/// them). <see cref="Add"/> never waits: the hub calls it under a document's lock. Lock order: the hub's
/// locks, then this one (a leaf).
/// </summary>
internal sealed class PresenceOutbox
{
    /// <summary>What a waiting message costs besides its state: ids and bookkeeping, roughly.</summary>
    private const int Overhead = 128;

    private readonly object _sync = new();
    private readonly long _maxBytes;
    private readonly LinkedList<PresenceChangedMessage> _order = new();
    private readonly Dictionary<(string Document, string Peer), LinkedListNode<PresenceChangedMessage>> _byPeer = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _bytes;
    private bool _completed;

    public PresenceOutbox(long maxBytes)
    {
        _maxBytes = Math.Max(1, maxBytes);
    }

    /// <summary>The bytes waiting (tests: a flood does not grow it past the bound).</summary>
    public long Bytes
    {
        get
        {
            lock (_sync) return _bytes;
        }
    }

    /// <summary>How many messages were dropped or replaced unsent since the start.</summary>
    public long Superseded { get; private set; }

    /// <summary>Queues <paramref name="message"/>, replacing a waiting one of the same peer; never waits.</summary>
    public void Add(PresenceChangedMessage message)
    {
        lock (_sync)
        {
            if (_completed)
            {
                return;
            }

            var key = (message.DocumentId, message.PeerId);
            if (_byPeer.TryGetValue(key, out LinkedListNode<PresenceChangedMessage>? waiting))
            {
                _bytes -= Cost(waiting.Value);
                waiting.Value = message;
                Superseded++;
            }
            else
            {
                _byPeer[key] = _order.AddLast(message);
            }

            _bytes += Cost(message);
            while (_bytes > _maxBytes && _order.First is { } oldest && oldest.Value != message)
            {
                Remove(oldest);
                Superseded++;
            }
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>Waits until messages wait (false once completed and empty), then takes up to <paramref name="max"/> of them, oldest first.</summary>
    public async ValueTask<bool> TakeAsync(List<PresenceChangedMessage> batch, int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_sync)
            {
                while (batch.Count < max && _order.First is { } first)
                {
                    batch.Add(first.Value);
                    Remove(first);
                }

                if (batch.Count > 0)
                {
                    return true;
                }

                if (_completed)
                {
                    return false;
                }
            }

            if (!await _signal.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            _signal.Reader.TryRead(out _);
        }
    }

    /// <summary>The connection ends: nothing more is queued.</summary>
    public void Complete()
    {
        lock (_sync)
        {
            _completed = true;
            _order.Clear();
            _byPeer.Clear();
            _bytes = 0;
        }

        _signal.Writer.TryComplete();
    }

    private static long Cost(PresenceChangedMessage message) => Overhead + message.State.Length + ((message.DocumentId.Length + message.PeerId.Length) * 2);

    private void Remove(LinkedListNode<PresenceChangedMessage> node)
    {
        _order.Remove(node);
        _byPeer.Remove((node.Value.DocumentId, node.Value.PeerId));
        _bytes -= Cost(node.Value);
    }
}
