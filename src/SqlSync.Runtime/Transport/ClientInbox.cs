using System.Net.WebSockets;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>
/// The client's receiving side of a connection (decision 0030): a task reads frames ahead into a small bounded queue
/// while the previous message is handled, so the server's window of storage messages keeps the wire busy, and storage
/// messages of one document that are already here are handed over together (one fsync and one rebase for them all).
/// Memory held: at most <see cref="Capacity"/> frames beside the one being read. Presence changes touch no engine
/// state and are applied by the reading task itself (one thread-pool hop fewer per peer per update, decision 0040).
/// </summary>
internal sealed class ClientInbox
{
    /// <summary>Frames read ahead at most; also the most storage messages handed over at once.</summary>
    public const int Capacity = 4;

    private readonly Channel<SyncMessage> _queue = Channel.CreateBounded<SyncMessage>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
    private readonly Task _reader;
    private Exception? _failure;

    private readonly Action<PresenceChangedMessage> _presence;

    public ClientInbox(WebSocket socket, int maxFrameBytes, Action<PresenceChangedMessage> presence, CancellationToken cancellationToken)
    {
        _presence = presence;
        _reader = Task.Run(() => ReadAsync(socket, maxFrameBytes, cancellationToken), CancellationToken.None);
    }

    /// <summary>
    /// The next message, or the storage messages of one document waiting in a row; null when the server closed the
    /// connection. Throws what ended the reading (a broken frame, a lost socket, a cancellation).
    /// </summary>
    public async Task<IReadOnlyList<SyncMessage>?> ReceiveAsync()
    {
        if (!await _queue.Reader.WaitToReadAsync().ConfigureAwait(false) || !_queue.Reader.TryRead(out SyncMessage? first))
        {
            if (_failure is not null)
            {
                ExceptionDispatchInfo.Throw(_failure);
            }

            return null;
        }

        if (StorageDocument(first) is not { } documentId)
        {
            return new[] { first };
        }

        // Parts of entries larger than a message count too (decision 0039): a join of large entries fsyncs per batch.
        var batch = new List<SyncMessage>(Capacity) { first };
        while (_queue.Reader.TryPeek(out SyncMessage? next) && StorageDocument(next) == documentId)
        {
            _queue.Reader.TryRead(out _);
            batch.Add(next);
        }

        return batch;
    }

    /// <summary>The document of a storage message (entries or an entry's part), else null.</summary>
    private static string? StorageDocument(SyncMessage message) => message switch
    {
        StorageEntriesMessage storage => storage.DocumentId,
        StorageEntryPartMessage part => part.DocumentId,
        _ => null,
    };

    /// <summary>Waits for the reading task, which ends once the connection's token is cancelled or the socket closes (it never throws: what ended it is kept for <see cref="ReceiveAsync"/>).</summary>
    public Task StopAsync() => _reader;

    private async Task ReadAsync(WebSocket socket, int maxFrameBytes, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                (SyncMessage? message, _) = await WebSocketFrames.ReceiveAsync(socket, maxFrameBytes, null, cancellationToken).ConfigureAwait(false);
                if (message is null)
                {
                    break;
                }

                if (message is PresenceChangedMessage presence)
                {
                    _presence(presence);
                    continue;
                }

                await _queue.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
        finally
        {
            _queue.Writer.TryComplete();
        }
    }
}
