using System.Collections.Concurrent;
using System.Security.Cryptography;
using SqlSync.Replication.Messages;

namespace SqlSync.Server;

/// <summary>
/// Presence for every document the server hosts, in memory only: never in a journal or a storage entry. A
/// connection joins with an outbox (<see cref="PresenceOutbox"/>: bounded in bytes, newest state per peer,
/// never waiting). Each document has its own lock, so documents never contend; a link's own lock orders its
/// opens, closes and leave (lock order: link, then document, then an outbox). A link that opened a document
/// (its access checked then) gets the document's states at once and every later change; only such links may
/// publish, at most <see cref="PresenceOptions.MaxPublishesPerSecond"/> fanned out per second after a burst of as
/// many (a faster client's states are coalesced, the newest sent when its turn comes). A state ends when its connection
/// ends, the document fails on that link, the client publishes an empty state, or it is not published again
/// within <see cref="PresenceOptions.Timeout"/>.
/// </summary>
internal sealed class PresenceHub : IDisposable
{
    private readonly PresenceOptions _options;
    private readonly ConcurrentDictionary<long, Member> _members = new();
    private readonly ConcurrentDictionary<string, DocumentPresence> _documents = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;

    public PresenceHub(PresenceOptions options)
    {
        options.Validate();
        _options = options;
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(options.Timeout.TotalMilliseconds / 4, 10, 1000));
        _sweeper = new Timer(_ => Sweep(), null, period, period);
    }

    public PresenceOptions Options => _options;

    /// <summary>A connection starts: <paramref name="outbox"/> queues messages for it and never blocks.</summary>
    public void Join(long linkId, PresenceOutbox outbox) =>
        _members[linkId] = new Member(Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(), outbox);

    /// <summary>The link opened <paramref name="documentId"/>: it is sent every current state, then every change.</summary>
    public void Opened(long linkId, string documentId)
    {
        if (!_members.TryGetValue(linkId, out Member? member))
        {
            return;
        }

        lock (member)
        {
            if (member.Left || !member.Documents.Add(documentId))
            {
                return;
            }

            while (true)
            {
                DocumentPresence document = _documents.GetOrAdd(documentId, id => new DocumentPresence(id));
                lock (document)
                {
                    if (document.Removed)
                    {
                        continue; // emptied and dropped meanwhile: take the new one
                    }

                    document.Viewers[linkId] = member;
                    foreach ((long other, State state) in document.States)
                    {
                        if (other != linkId)
                        {
                            member.Outbox.Add(new PresenceChangedMessage(documentId, state.PeerId, true, state.Bytes));
                        }
                    }

                    return;
                }
            }
        }
    }

    /// <summary>The document failed on the link: its state there ends and it is no longer sent changes.</summary>
    public void Closed(long linkId, string documentId)
    {
        if (!_members.TryGetValue(linkId, out Member? member))
        {
            return;
        }

        lock (member)
        {
            if (member.Documents.Remove(documentId))
            {
                RemoveViewer(linkId, documentId);
            }
        }
    }

    /// <summary>Publishes (or, with an empty state, withdraws) the link's state in an open document: fanned out to its other links.</summary>
    public void Publish(long linkId, string documentId, ReadOnlyMemory<byte> state)
    {
        if (!_members.TryGetValue(linkId, out Member? member) || !_documents.TryGetValue(documentId, out DocumentPresence? document))
        {
            return; // the open is still being applied, or failed: nothing to show
        }

        long delay = 0;
        lock (document)
        {
            if (document.Removed || !document.Viewers.ContainsKey(linkId))
            {
                return;
            }

            if (state.IsEmpty)
            {
                RemoveState(document, linkId);
                return;
            }

            long now = Environment.TickCount64;
            if (!document.States.TryGetValue(linkId, out State? current))
            {
                document.States[linkId] = current = new State(member.PeerId, _options.MaxPublishesPerSecond, now);
            }

            current.Bytes = state.ToArray();
            current.ExpiresAt = _options.Timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : now + (long)_options.Timeout.TotalMilliseconds;
            long wait = current.Spend(_options.MaxPublishesPerSecond, now);
            if (wait == 0)
            {
                current.Deferred = false;
                FanOut(document, linkId, new PresenceChangedMessage(documentId, current.PeerId, true, current.Bytes));
            }
            else
            {
                current.Deferred = true; // coalesced: the newest goes out when its turn comes
                if (!current.FlushScheduled)
                {
                    current.FlushScheduled = true;
                    delay = wait;
                }
            }
        }

        if (delay > 0)
        {
            _ = FlushLaterAsync(document, linkId, delay);
        }
    }

    /// <summary>The connection ended: every state it published ends.</summary>
    public void Leave(long linkId)
    {
        if (!_members.TryRemove(linkId, out Member? member))
        {
            return;
        }

        lock (member)
        {
            member.Left = true;
            foreach (string documentId in member.Documents)
            {
                RemoveViewer(linkId, documentId);
            }

            member.Documents.Clear();
        }

        member.Outbox.Complete();
    }

    /// <summary>How many states the hub holds (for tests).</summary>
    internal int StateCount => _documents.Values.Sum(d =>
    {
        lock (d) return d.States.Count;
    });

    /// <summary>The most bytes any connection's outbox holds now (for tests: a flood stays under the bound).</summary>
    internal long MaxQueuedBytes => _members.Values.Select(m => m.Outbox.Bytes).DefaultIfEmpty(0).Max();

    /// <summary>How many documents have presence state or viewers (for tests: emptied ones are dropped).</summary>
    internal int DocumentCount => _documents.Count;

    public void Dispose() => _sweeper.Dispose();

    private async Task FlushLaterAsync(DocumentPresence document, long linkId, long delay)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(delay)).ConfigureAwait(false);
        lock (document)
        {
            if (document.Removed || !document.States.TryGetValue(linkId, out State? state))
            {
                return;
            }

            state.FlushScheduled = false;
            if (!state.Deferred)
            {
                return;
            }

            long wait = state.Spend(_options.MaxPublishesPerSecond, Environment.TickCount64);
            if (wait > 0)
            {
                state.FlushScheduled = true; // a timer fired early: wait for the token
                _ = FlushLaterAsync(document, linkId, wait);
                return;
            }

            state.Deferred = false;
            FanOut(document, linkId, new PresenceChangedMessage(document.Id, state.PeerId, true, state.Bytes));
        }
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (DocumentPresence document in _documents.Values)
        {
            lock (document)
            {
                List<long>? expired = null;
                foreach ((long linkId, State state) in document.States)
                {
                    if (state.ExpiresAt <= now)
                    {
                        (expired ??= new()).Add(linkId);
                    }
                }

                foreach (long linkId in expired ?? Enumerable.Empty<long>())
                {
                    RemoveState(document, linkId);
                }
            }
        }
    }

    /// <summary>Under the member's lock: the link no longer views the document, and its state there ends.</summary>
    private void RemoveViewer(long linkId, string documentId)
    {
        if (!_documents.TryGetValue(documentId, out DocumentPresence? document))
        {
            return;
        }

        lock (document)
        {
            document.Viewers.Remove(linkId);
            RemoveState(document, linkId);
            if (document.Viewers.Count == 0 && document.States.Count == 0 && !document.Removed)
            {
                document.Removed = true; // a late Opened or Publish sees it and takes a new one
                _documents.TryRemove(new KeyValuePair<string, DocumentPresence>(documentId, document));
            }
        }
    }

    /// <summary>Under the document's lock.</summary>
    private static void RemoveState(DocumentPresence document, long linkId)
    {
        if (document.States.Remove(linkId, out State? state))
        {
            FanOut(document, linkId, new PresenceChangedMessage(document.Id, state.PeerId, false, ReadOnlyMemory<byte>.Empty));
        }
    }

    /// <summary>Under the document's lock: costs the document's viewers, never the server's links.</summary>
    private static void FanOut(DocumentPresence document, long from, PresenceChangedMessage message)
    {
        foreach ((long linkId, Member member) in document.Viewers)
        {
            if (linkId != from)
            {
                member.Outbox.Add(message);
            }
        }
    }

    /// <summary>One link's state in one document, and its publish budget (a token bucket: a burst of N, then N a second).</summary>
    private sealed class State(string peerId, int perSecond, long now)
    {
        private double _tokens = perSecond;
        private long _refilledAt = now;

        public string PeerId { get; } = peerId;

        public byte[] Bytes { get; set; } = Array.Empty<byte>();

        public long ExpiresAt { get; set; }

        /// <summary>A newer state waits for its turn.</summary>
        public bool Deferred { get; set; }

        public bool FlushScheduled { get; set; }

        /// <summary>Takes a token: 0 when one was there (send now), else the milliseconds until one is. No limit when <paramref name="perSecond"/> ≤ 0.</summary>
        public long Spend(int perSecond, long now)
        {
            if (perSecond <= 0)
            {
                return 0;
            }

            _tokens = Math.Min(perSecond, _tokens + ((now - _refilledAt) * perSecond / 1000.0));
            _refilledAt = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return 0;
            }

            return Math.Max(1, (long)Math.Ceiling((1 - _tokens) * 1000 / perSecond));
        }
    }

    /// <summary>One document's presence; its own lock.</summary>
    private sealed class DocumentPresence(string id)
    {
        public string Id { get; } = id;

        public Dictionary<long, Member> Viewers { get; } = new();

        public Dictionary<long, State> States { get; } = new();

        /// <summary>Dropped from the hub (no viewer, no state): a caller holding it takes a new one.</summary>
        public bool Removed { get; set; }
    }

    private sealed class Member(string peerId, PresenceOutbox outbox)
    {
        public string PeerId { get; } = peerId;

        public PresenceOutbox Outbox { get; } = outbox;

        public HashSet<string> Documents { get; } = new(StringComparer.Ordinal);

        public bool Left { get; set; }
    }
}
