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
/// publish, at most <see cref="PresenceOptions.MaxPublishesPerSecond"/> fanned out per second (a faster
/// client's states are coalesced, the newest sent when its turn comes). A state ends when its connection
/// ends, the document fails on that link, the client publishes an empty state, or it is not published again
/// within <see cref="PresenceOptions.Timeout"/>.
/// </summary>
internal sealed class PresenceHub : IDisposable
{
    private readonly PresenceOptions _options;
    private readonly long _publishInterval;
    private readonly ConcurrentDictionary<long, Member> _members = new();
    private readonly ConcurrentDictionary<string, DocumentPresence> _documents = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;

    public PresenceHub(PresenceOptions options)
    {
        _options = options;
        _publishInterval = options.MaxPublishesPerSecond <= 0 ? 0 : Math.Max(1, 1000 / options.MaxPublishesPerSecond);
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
            document.States.TryGetValue(linkId, out State? current);
            var next = new State(member.PeerId, state.ToArray(), now + (long)_options.Timeout.TotalMilliseconds)
            {
                SentAt = current?.SentAt ?? long.MinValue,
                FlushScheduled = current?.FlushScheduled ?? false,
            };
            document.States[linkId] = next;
            long due = next.SentAt == long.MinValue ? now : next.SentAt + _publishInterval;
            if (due <= now)
            {
                next.SentAt = now;
                next.Deferred = false;
                FanOut(document, linkId, new PresenceChangedMessage(documentId, next.PeerId, true, next.Bytes));
            }
            else
            {
                next.Deferred = true; // coalesced: the newest goes out when its turn comes
                if (!next.FlushScheduled)
                {
                    next.FlushScheduled = true;
                    delay = due - now;
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
            if (state.Deferred)
            {
                state.Deferred = false;
                state.SentAt = Environment.TickCount64;
                FanOut(document, linkId, new PresenceChangedMessage(document.Id, state.PeerId, true, state.Bytes));
            }
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

    private sealed class State(string peerId, byte[] bytes, long expiresAt)
    {
        public string PeerId { get; } = peerId;

        public byte[] Bytes { get; } = bytes;

        public long ExpiresAt { get; } = expiresAt;

        /// <summary>When this link's state was last fanned out in the document (rate limit).</summary>
        public long SentAt { get; set; }

        /// <summary>A newer state waits for its turn.</summary>
        public bool Deferred { get; set; }

        public bool FlushScheduled { get; set; }
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
