using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SqlSync.Documents;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>
/// Presence in one document through a <see cref="SqlSyncClient"/>: this client's ephemeral state (a name, a
/// cursor, a selection: at most <see cref="SqlSyncClientOptions.MaxPresenceBytes"/>) and the other clients'
/// states, live. Nothing here is journaled or replicated as data: the server fans states out to the
/// document's other clients (those it let open the document) and forgets them when a client disconnects or
/// stops refreshing. The state is sent when the document is open on the server, again after each reconnect,
/// and every <see cref="SqlSyncClientOptions.PresenceRefreshInterval"/>. <see cref="PeersChanged"/> is raised on
/// the client's receive thread, outside every lock, in order; after a disconnect the list empties.
/// </summary>
public sealed class DocumentPresence
{
    private readonly object _sync = new();
    private readonly SqlSyncClient _client;
    private readonly int _maxBytes;
    private readonly Dictionary<string, PresencePeer> _peers = new(StringComparer.Ordinal);
    private readonly List<ChannelWriter<IReadOnlyList<PresencePeer>>> _watchers = new();
    private readonly EventQueue<IReadOnlyList<PresencePeer>> _events;
    private byte[]? _state;
    private bool _unsent;

    internal DocumentPresence(SqlSyncClient client, string documentId, int maxBytes)
    {
        _client = client;
        DocumentId = documentId;
        _maxBytes = maxBytes;
        _events = new EventQueue<IReadOnlyList<PresencePeer>>(peers => PeersChanged?.Invoke(this, peers));
    }

    /// <summary>Raised with the new list of peers each time one joins, changes its state or leaves.</summary>
    public event EventHandler<IReadOnlyList<PresencePeer>>? PeersChanged;

    /// <summary>The document.</summary>
    public string DocumentId { get; }

    /// <summary>The other clients present now, by peer id.</summary>
    public IReadOnlyList<PresencePeer> Peers
    {
        get
        {
            lock (_sync) return Snapshot();
        }
    }

    /// <summary>
    /// Publishes this client's state (sent as soon as the document is open on the server). Larger than
    /// <see cref="SqlSyncClientOptions.MaxPresenceBytes"/> is <see cref="SqlSyncErrorCode.PresenceTooLarge"/>, and
    /// the previous state stands. An empty state withdraws it (peers see this client leave).
    /// </summary>
    public void Publish(ReadOnlySpan<byte> state)
    {
        if (state.Length > _maxBytes)
        {
            throw new SqlSyncException(SqlSyncErrorCode.PresenceTooLarge,
                $"Document '{DocumentId}': a presence state of {state.Length} bytes is over the limit of {_maxBytes} (SqlSyncClientOptions.MaxPresenceBytes).");
        }

        lock (_sync)
        {
            _state = state.ToArray();
            _unsent = true;
        }

        _client.WakeSender();
    }

    /// <summary>Publishes UTF-8 text (JSON, say); see <see cref="Publish(ReadOnlySpan{byte})"/>.</summary>
    public void Publish(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Publish(System.Text.Encoding.UTF8.GetBytes(state));
    }

    /// <summary>Withdraws this client's state: its peers see it leave.</summary>
    public void Clear() => Publish(ReadOnlySpan<byte>.Empty);

    /// <summary>The current peers, then the list after each change, until cancelled; the newest wins when the consumer lags.</summary>
    public async IAsyncEnumerable<IReadOnlyList<PresencePeer>> WatchPeersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<IReadOnlyList<PresencePeer>>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_sync)
        {
            channel.Writer.TryWrite(Snapshot());
            _watchers.Add(channel.Writer);
        }

        try
        {
            await foreach (IReadOnlyList<PresencePeer> peers in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return peers;
            }
        }
        finally
        {
            lock (_sync)
            {
                _watchers.Remove(channel.Writer);
            }
        }
    }

    /// <summary>The update to send now, if any (the document is open on the server).</summary>
    internal PresenceUpdateMessage? TakeUpdate()
    {
        lock (_sync)
        {
            if (!_unsent || _state is null)
            {
                return null;
            }

            _unsent = false;
            return new PresenceUpdateMessage(DocumentId, _state);
        }
    }

    /// <summary>Sends the state again at the next chance (a new connection, a refresh); an empty one need not be repeated.</summary>
    internal void MarkUnsent()
    {
        lock (_sync)
        {
            _unsent = _state is { Length: > 0 };
        }
    }

    internal void Apply(PresenceChangedMessage message)
    {
        lock (_sync)
        {
            bool changed = message.Present
                ? !_peers.TryGetValue(message.PeerId, out PresencePeer? old) || !old.State.Span.SequenceEqual(message.State.Span)
                : _peers.ContainsKey(message.PeerId);
            if (!changed)
            {
                return; // a refresh of the same state
            }

            if (message.Present)
            {
                _peers[message.PeerId] = new PresencePeer(message.PeerId, message.State.ToArray());
            }
            else
            {
                _peers.Remove(message.PeerId);
            }

            Changed();
        }

        _events.Drain();
    }

    /// <summary>The connection ended: nobody is known to be present any more.</summary>
    internal void Reset()
    {
        lock (_sync)
        {
            if (_peers.Count == 0)
            {
                return;
            }

            _peers.Clear();
            Changed();
        }

        _events.Drain();
    }

    private void Changed()
    {
        IReadOnlyList<PresencePeer> peers = Snapshot();
        foreach (ChannelWriter<IReadOnlyList<PresencePeer>> watcher in _watchers)
        {
            watcher.TryWrite(peers);
        }

        if (PeersChanged is not null)
        {
            _events.Enqueue(peers);
        }
    }

    private PresencePeer[] Snapshot() => _peers.Values.OrderBy(p => p.PeerId, StringComparer.Ordinal).ToArray();
}
