using SqlSync.Documents;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>Presence (issue 17): each document's <see cref="DocumentPresence"/>, sent by the sender loop, fed by the receive loop.</summary>
public sealed partial class SqlSyncClient
{
    private readonly Dictionary<string, DocumentPresence> _presence = new(StringComparer.Ordinal);

    /// <summary>
    /// Presence in <paramref name="document"/> (added with <see cref="Add"/>): publish this client's state and follow
    /// the other clients'. The same object for every call with the same document.
    /// </summary>
    public DocumentPresence Presence(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_presence)
        {
            if (!_presence.TryGetValue(document.DocumentId, out DocumentPresence? presence))
            {
                _presence[document.DocumentId] = presence = new DocumentPresence(this, document.DocumentId, _options.MaxPresenceBytes);
            }

            return presence;
        }
    }

    internal void WakeSender() => Wake();

    /// <summary>Under the engine lock: appends the presence updates of documents open on the server.</summary>
    private IReadOnlyList<SyncMessage> WithPresenceUpdates(IReadOnlyList<SyncMessage> polled)
    {
        List<SyncMessage>? messages = null;
        lock (_presence)
        {
            foreach (DocumentPresence presence in _presence.Values)
            {
                if (_engine.IsConnected && _engine.IsOpened(presence.DocumentId) && presence.TakeUpdate() is PresenceUpdateMessage update)
                {
                    messages ??= new List<SyncMessage>(polled);
                    messages.Add(update);
                }
            }
        }

        return messages ?? polled;
    }

    private void MarkPresenceUnsent()
    {
        foreach (DocumentPresence presence in PresenceObjects())
        {
            presence.MarkUnsent();
        }
    }

    private void ResetPresence()
    {
        foreach (DocumentPresence presence in PresenceObjects())
        {
            presence.Reset();
        }
    }

    private void ApplyPresence(PresenceChangedMessage message)
    {
        DocumentPresence? presence;
        lock (_presence)
        {
            _presence.TryGetValue(message.DocumentId, out presence);
        }

        presence?.Apply(message);
    }

    /// <summary>Sends every published state again now and then, so the server's expiry keeps it while this client lives.</summary>
    private async Task RefreshPresenceAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.PresenceRefreshInterval, cancellationToken).ConfigureAwait(false);
                MarkPresenceUnsent();
                Wake();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private DocumentPresence[] PresenceObjects()
    {
        lock (_presence)
        {
            return _presence.Values.ToArray();
        }
    }
}
