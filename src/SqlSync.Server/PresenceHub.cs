using System.Security.Cryptography;
using SqlSync.Replication.Messages;

namespace SqlSync.Server;

/// <summary>
/// Presence for every document the server hosts, in memory only: never in a journal or a storage entry. A
/// connection joins with a sink that queues messages for it (it never waits: fan-out happens under this hub's
/// lock, a leaf lock that no user code runs under). A link that opened a document (its access checked then)
/// gets the document's states at once and every later change; only such links may publish. A state ends
/// when its connection ends, the document fails on that link, the client publishes an empty state, or it is
/// not published again within <see cref="PresenceOptions.Timeout"/>.
/// </summary>
internal sealed class PresenceHub : IDisposable
{
    private readonly object _sync = new();
    private readonly PresenceOptions _options;
    private readonly Dictionary<long, Member> _members = new();
    private readonly Dictionary<string, Dictionary<long, State>> _documents = new(StringComparer.Ordinal);
    /// <summary>Per document, the links that have it open: fan-out costs the document's links, not the server's.</summary>
    private readonly Dictionary<string, HashSet<long>> _viewers = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;

    public PresenceHub(PresenceOptions options)
    {
        _options = options;
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(options.Timeout.TotalMilliseconds / 4, 10, 1000));
        _sweeper = new Timer(_ => Sweep(), null, period, period);
    }

    public PresenceOptions Options => _options;

    /// <summary>A connection starts: <paramref name="sink"/> queues a message for it and never blocks.</summary>
    public void Join(long linkId, Action<PresenceChangedMessage> sink)
    {
        lock (_sync)
        {
            _members[linkId] = new Member(Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(), sink);
        }
    }

    /// <summary>The link opened <paramref name="documentId"/>: it is sent every current state, then every change.</summary>
    public void Opened(long linkId, string documentId)
    {
        lock (_sync)
        {
            if (!_members.TryGetValue(linkId, out Member? member) || !member.Documents.Add(documentId))
            {
                return;
            }

            if (!_viewers.TryGetValue(documentId, out HashSet<long>? viewers))
            {
                _viewers[documentId] = viewers = new HashSet<long>();
            }

            viewers.Add(linkId);

            if (_documents.TryGetValue(documentId, out Dictionary<long, State>? states))
            {
                foreach ((long other, State state) in states)
                {
                    if (other != linkId)
                    {
                        member.Sink(new PresenceChangedMessage(documentId, state.PeerId, true, state.Bytes));
                    }
                }
            }
        }
    }

    /// <summary>The document failed on the link: its state there ends and it is no longer sent changes.</summary>
    public void Closed(long linkId, string documentId)
    {
        lock (_sync)
        {
            if (_members.TryGetValue(linkId, out Member? member))
            {
                member.Documents.Remove(documentId);
            }

            RemoveViewer(linkId, documentId);
            RemoveState(linkId, documentId);
        }
    }

    /// <summary>Publishes (or, with an empty state, withdraws) the link's state in an open document: fanned out to its other links.</summary>
    public void Publish(long linkId, string documentId, ReadOnlyMemory<byte> state)
    {
        lock (_sync)
        {
            if (!_members.TryGetValue(linkId, out Member? member) || !member.Documents.Contains(documentId))
            {
                return; // the open is still being applied, or failed: nothing to show
            }

            if (state.IsEmpty)
            {
                RemoveState(linkId, documentId);
                return;
            }

            if (!_documents.TryGetValue(documentId, out Dictionary<long, State>? states))
            {
                _documents[documentId] = states = new Dictionary<long, State>();
            }

            byte[] copy = state.ToArray();
            states[linkId] = new State(member.PeerId, copy, Environment.TickCount64 + (long)_options.Timeout.TotalMilliseconds);
            FanOut(linkId, new PresenceChangedMessage(documentId, member.PeerId, true, copy));
        }
    }

    /// <summary>The connection ended: every state it published ends.</summary>
    public void Leave(long linkId)
    {
        lock (_sync)
        {
            if (!_members.Remove(linkId, out Member? member))
            {
                return;
            }

            foreach (string documentId in member.Documents)
            {
                RemoveViewer(linkId, documentId);
                RemoveStateOf(linkId, member.PeerId, documentId);
            }
        }
    }

    /// <summary>How many states the hub holds (for tests).</summary>
    internal int StateCount
    {
        get
        {
            lock (_sync) return _documents.Values.Sum(d => d.Count);
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private void Sweep()
    {
        long now = Environment.TickCount64;
        lock (_sync)
        {
            foreach ((string documentId, Dictionary<long, State> states) in _documents.ToArray())
            {
                foreach ((long linkId, State state) in states.ToArray())
                {
                    if (state.ExpiresAt <= now)
                    {
                        RemoveStateOf(linkId, state.PeerId, documentId);
                    }
                }
            }
        }
    }

    private void RemoveState(long linkId, string documentId)
    {
        if (_documents.TryGetValue(documentId, out Dictionary<long, State>? states) && states.TryGetValue(linkId, out State? state))
        {
            RemoveStateOf(linkId, state.PeerId, documentId);
        }
    }

    private void RemoveStateOf(long linkId, string peerId, string documentId)
    {
        if (!_documents.TryGetValue(documentId, out Dictionary<long, State>? states) || !states.Remove(linkId))
        {
            return;
        }

        if (states.Count == 0)
        {
            _documents.Remove(documentId);
        }

        FanOut(linkId, new PresenceChangedMessage(documentId, peerId, false, ReadOnlyMemory<byte>.Empty));
    }

    private void RemoveViewer(long linkId, string documentId)
    {
        if (_viewers.TryGetValue(documentId, out HashSet<long>? viewers) && viewers.Remove(linkId) && viewers.Count == 0)
        {
            _viewers.Remove(documentId);
        }
    }

    private void FanOut(long from, PresenceChangedMessage message)
    {
        if (!_viewers.TryGetValue(message.DocumentId, out HashSet<long>? viewers))
        {
            return;
        }

        foreach (long linkId in viewers)
        {
            if (linkId != from && _members.TryGetValue(linkId, out Member? member))
            {
                member.Sink(message);
            }
        }
    }

    private sealed record State(string PeerId, byte[] Bytes, long ExpiresAt);

    private sealed class Member(string peerId, Action<PresenceChangedMessage> sink)
    {
        public string PeerId { get; } = peerId;

        public Action<PresenceChangedMessage> Sink { get; } = sink;

        public HashSet<string> Documents { get; } = new(StringComparer.Ordinal);
    }
}
