using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server;

/// <summary>
/// Serves one WebSocket: a receive loop that checks each frame in arrival order (<see cref="ServerLink.Accept"/>)
/// and hands what is for a document to that document's lane, a task per document that awaits the document's
/// gate, applies the message and sends the replies; the lane also pushes storage when its document grows. A busy
/// or stuck document so holds up only its own lane, and no thread. A protocol error closes only this
/// connection, with an error frame and a log line; a document that fails or is refused is reported with a
/// per-document error frame and the connection's other documents keep syncing.
/// The connection's limits (<see cref="ConnectionLimits"/>: hello deadline, message limits and receive
/// budget, send timeout) close it with one log line at Information.
/// </summary>
internal sealed class SyncConnection : IDisposable
{
    /// <summary>Messages queued per document; a client that keeps sending to a busy document waits here.</summary>
    private const int LaneCapacity = 64;

    private readonly WebSocket _socket;
    private readonly ServerLink _link;
    private readonly CoordinatorHost _host;
    private readonly ILogger _logger;
    private readonly ConnectionLimits _limits;
    private volatile string? _limitReason; // why a limit closed the connection, for its log line
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly PresenceHub _presence;
    /// <summary>Presence messages for this client, queued by the hub (never waiting) and sent by one task, in order.</summary>
    private readonly PresenceOutbox _presenceOut;
    private CancellationToken _stuckToken;
    private readonly ConcurrentDictionary<string, DocumentLane> _lanes = new(StringComparer.Ordinal);

    /// <summary>The documents this link has open, each holding the host's reference that keeps it open.</summary>
    private readonly Dictionary<string, HostedDocument> _retained = new(StringComparer.Ordinal);
    private int _laneFailed;

    /// <summary>Set (under the send lock) once the closing error frame is sent; read there too.</summary>
    private bool _ending;

    public SyncConnection(WebSocket socket, ServerLink link, CoordinatorHost host, ConnectionLimits limits, ILogger logger, PresenceHub presence)
    {
        _presence = presence;
        _presenceOut = new PresenceOutbox(presence.Options.MaxQueuedBytesPerConnection);
        _limits = limits;
        _socket = socket;
        _link = link;
        _host = host;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken aborted)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted, _host.Stopping);
        await using var deadline = new HelloDeadline(_socket, _limits.HelloTimeout);
        _host.StorageChanged += OnStorageChanged;
        _stuckToken = cancel.Token;
        _host.DocumentStuck += OnDocumentStuck;
        _host.Metrics.Connections.Add(1);
        _presence.Join(_link.Id, _presenceOut);
        Task presenceSender = SendPresenceAsync(cancel.Token);
        try
        {
            await ReceiveAsync(deadline, cancel.Token).ConfigureAwait(false);
        }
        catch (Exception) when (deadline.Expired || _limitReason is not null)
        {
            // A limit closed the connection; logged below, as one line.
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            if (_host.Stopping.IsCancellationRequested)
            {
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping").ConfigureAwait(false);
            }
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.Protocol)
        {
            _host.Metrics.ProtocolErrors.Add(1);
            _logger.LogWarning("Link {LinkId} ({Client}) closed for a protocol error: {Error}", _link.Id, _link.ClientName, ex.Message);
            await SendErrorAndCloseAsync(ex).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            _logger.LogInformation("Link {LinkId} ({Client}) lost: {Error}", _link.Id, _link.ClientName, ex.Message);
        }
        catch (SqlSyncException ex)
        {
            // A refusal the server decided (a damaged document, a full disk...): one line, no stack trace; the client backs off.
            _logger.LogWarning("Link {LinkId} ({Client}) closed: {Code}: {Error}", _link.Id, _link.ClientName, ex.Code, ex.Message);
            await SendErrorAndCloseAsync(ex).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Link {LinkId} ({Client}) failed.", _link.Id, _link.ClientName);
            await SendErrorAndCloseAsync(ex).ConfigureAwait(false);
        }
        finally
        {
            _presence.Leave(_link.Id);
            _presenceOut.Complete();
            await cancel.CancelAsync().ConfigureAwait(false);
            await presenceSender.ConfigureAwait(false); // it catches its own exceptions
            _host.StorageChanged -= OnStorageChanged;
            _host.DocumentStuck -= OnDocumentStuck;
            _host.Metrics.Connections.Add(-1);
            foreach (DocumentLane lane in _lanes.Values)
            {
                lane.Messages.Writer.TryComplete();
                await lane.Worker.ConfigureAwait(false); // lanes catch their own exceptions
            }

            lock (_retained)
            {
                foreach (HostedDocument hosted in _retained.Values)
                {
                    _host.Release(hosted);
                }

                _retained.Clear();
            }

            _link.Close(); // an entry in reassembly goes back to the budget; the principal's open documents are given back
        }

        if (deadline.Expired)
        {
            _logger.LogInformation("Link {LinkId} closed: no hello within {Timeout}.", _link.Id, _limits.HelloTimeout);
        }
        else if (_limitReason is string reason)
        {
            _logger.LogInformation("Link {LinkId} ({Client}) closed: {Reason}.", _link.Id, _link.ClientName, reason);
        }
    }

    private async Task ReceiveAsync(HelloDeadline deadline, CancellationToken cancellationToken)
    {
        bool welcomed = false;
        while (true)
        {
            // Before hello only a small message is accepted; the frame limit applies after it.
            int maxBytes = welcomed ? _limits.MaxFrameBytes : _limits.MaxHelloBytes;
            SyncMessage? message;
            int bytes;
            try
            {
                (message, bytes) = await WebSocketFrames.ReceiveAsync(_socket, maxBytes, _limits.Budget, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!welcomed)
            {
                deadline.TryStop(); // the connection ends for another reason (a refused first frame): the deadline must not close it too
                throw;
            }

            if (!welcomed && !deadline.TryStop())
            {
                return; // too late: the deadline is closing the connection
            }

            welcomed = true; // the link refuses a first message that is not a hello
            if (message is null)
            {
                _logger.LogDebug("Link {LinkId} ({Client}) closed by the client.", _link.Id, _link.ClientName);
                await CloseAsync(WebSocketCloseStatus.NormalClosure, "bye").ConfigureAwait(false);
                return;
            }

            _host.Metrics.BytesReceived.Add(bytes);
            SyncMessage? work;
            IReadOnlyList<SyncMessage> replies;
            try
            {
                work = _link.Accept(message, out replies);
            }
            catch (SqlSyncException ex) when (ex.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code && SyncProtocol.IsDocumentError(code))
            {
                // An open refused on its own before the document is touched (a reader's open of a document that does not
                // exist, the principal's open documents): the link stays.
                _logger.LogInformation("Link {LinkId} ({Client}): open refused on its own: {Error}", _link.Id, _link.ClientName, ex.Message);
                await SendAsync(new SyncMessage[] { WebSocketFrames.ErrorFor(ex) }, cancellationToken).ConfigureAwait(false);
                continue;
            }


            await SendAsync(replies, cancellationToken).ConfigureAwait(false);
            if (work is PresenceUpdateMessage presence)
            {
                await PublishPresenceAsync(presence, cancellationToken).ConfigureAwait(false);
            }
            else if (work is not null)
            {
                await DispatchAsync(ServerLink.DocumentOf(work), work, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Applies a message at once when its document is free and nothing of it is queued (so replies keep the order
    /// of the messages), else queues it on the document's lane, starting the lane on the document's first message.
    /// </summary>
    private async Task DispatchAsync(string documentId, SyncMessage message, CancellationToken cancellationToken)
    {
        if (!_lanes.TryGetValue(documentId, out DocumentLane? lane))
        {
            if (_lanes.Count >= _host.Options.MaxOpenDocuments)
            {
                // More documents on one connection than the server may hold open: refused one by one, the link stays.
                _link.Forget(documentId); // gives back what its accepted open counted against the principal
                await SendAsync(new SyncMessage[] { new ErrorMessage(ProtocolErrorCode.TooManyDocuments, documentId,
                    $"document '{documentId}': this connection has the server's maximum of {_host.Options.MaxOpenDocuments} documents") }, cancellationToken).ConfigureAwait(false);
                return;
            }

            lane = new DocumentLane();
            _lanes[documentId] = lane; // only this loop adds lanes
            lane.Worker = Task.Run(() => RunLaneAsync(documentId, lane, cancellationToken), CancellationToken.None);
        }

        if (Volatile.Read(ref lane.Queued) == 0 && await ApplyAsync(documentId, lane, message, wait: false, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        Interlocked.Increment(ref lane.Queued);
        await lane.Messages.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies one document's queued messages in order; a null message asks for a poll of its storage.</summary>
    private async Task RunLaneAsync(string documentId, DocumentLane lane, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (SyncMessage? message in lane.Messages.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (message is null)
                {
                    Interlocked.Exchange(ref lane.PollPending, 0);
                }

                await ApplyAsync(documentId, lane, message, wait: true, cancellationToken).ConfigureAwait(false);
                if (message is not null)
                {
                    Interlocked.Decrement(ref lane.Queued);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not WebSocketException)
        {
            // Closes the link like an error in the receive loop; the receive loop then sees the close and ends.
            if (Interlocked.Exchange(ref _laneFailed, 1) == 0)
            {
                if (ex is SqlSyncException { Code: SqlSyncErrorCode.Protocol })
                {
                    _host.Metrics.ProtocolErrors.Add(1);
                    _logger.LogWarning("Link {LinkId} ({Client}) closed for a protocol error: {Error}", _link.Id, _link.ClientName, ex.Message);
                }
                else
                {
                    _logger.LogError(ex, "Link {LinkId} ({Client}) failed.", _link.Id, _link.ClientName);
                }

                await SendErrorAndCloseAsync(ex).ConfigureAwait(false);
            }
        }
        catch (WebSocketException)
        {
            // The connection is lost: the receive loop sees it too.
        }
    }

    /// <summary>
    /// Applies a message (null: polls) under the document's gate and sends the replies. Without
    /// <paramref name="wait"/> returns false, having done nothing, when the gate is held or the document is over
    /// its queue limit; the caller then queues the message on the lane, which waits.
    /// </summary>
    private async Task<bool> ApplyAsync(string documentId, DocumentLane lane, SyncMessage? message, bool wait, CancellationToken cancellationToken)
    {
        if (message is OpenDocumentMessage)
        {
            lane.Failed = false; // the client opens it again: try again
        }
        else if (message is null ? !_link.HasDocument(documentId) : lane.Failed)
        {
            return true; // a failed document's messages are dropped: the client was told and opens it again later
        }
        else if (message is not null && !_link.HasDocument(documentId))
        {
            // Not open on this link: the link refuses it before any document is touched.
            await SendAsync(_link.Apply(message), cancellationToken).ConfigureAwait(false);
            return true;
        }
        else if (_link.HasClosedDocument(documentId))
        {
            // Its coordinator was fenced and closed under this link: told now, without opening the document again here
            // (the client's reopen does, after its delay), so a document that keeps being fenced is not reopened per poll.
            await FailDocumentAsync(documentId, lane, ServerLink.ClosedUnder(documentId), cancellationToken).ConfigureAwait(false);
            return true;
        }

        IReadOnlyList<SyncMessage> replies;
        try
        {
            if (wait && message is TimelineEntriesMessage)
            {
                await _host.WaitForCapacityAsync(documentId, cancellationToken).ConfigureAwait(false);
            }

            using DocumentLease? lease = await _host.AcquireAsync(documentId, wait, cancellationToken).ConfigureAwait(false);
            if (lease is null || !wait && message is TimelineEntriesMessage && !_host.HasCapacity(lease))
            {
                return false;
            }

            switch (message)
            {
                case null:
                    replies = _link.Poll(documentId);
                    break;
                case OpenDocumentMessage:
                    replies = _link.Apply(message);
                    Retain(documentId, lease);
                    break;
                default:
                    replies = _link.Apply(message);
                    break;
            }
        }
        catch (SqlSyncException ex) when (ex.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code && SyncProtocol.IsDocumentError(code))
        {
            await FailDocumentAsync(documentId, lane, ex, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.StorageUnavailable)
        {
            // The document is paused (its disk is full): this upload was not acknowledged; the client opens the
            // document again after a delay and the document resumes by itself. Its other documents go on.
            SqlSyncException error = DocumentErrors.Create(ProtocolErrorCode.StorageUnavailable, documentId, ex.Message); // ErrorFor strips paths
            await FailDocumentAsync(documentId, lane, error, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.JournalFenced
            || ex.Code == SqlSyncErrorCode.DocumentClosed && !_host.Stopping.IsCancellationRequested)
        {
            // Fenced, or closed under this link while the server runs: another coordinator took it over (decision 0037).
            // The client opens it again after a delay, and the host opens it from the store.
            await FailDocumentAsync(documentId, lane, ServerLink.ClosedUnder(documentId), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not SqlSyncException { Code: SqlSyncErrorCode.Protocol or SqlSyncErrorCode.DocumentClosed })
        {
            // The document failed while serving this link (an I/O error, say): it alone is refused.
            _logger.LogError(ex, "Link {LinkId} ({Client}): document {DocumentId} failed.", _link.Id, _link.ClientName, documentId);
            SqlSyncException error = DocumentErrors.Create(ProtocolErrorCode.DocumentFailed, documentId,
                $"the server failed serving it ({DocumentErrors.Cause(ex)}); other documents are served");
            await FailDocumentAsync(documentId, lane, error, cancellationToken).ConfigureAwait(false);
            return true;
        }

        await SendAsync(replies, cancellationToken).ConfigureAwait(false);
        if (message is OpenDocumentMessage && _link.HasDocument(documentId))
        {
            _presence.Opened(_link.Id, documentId); // after DocumentOpened: the client learns who is there
        }

        return true;
    }

    /// <summary>Fans a presence state out (never journaled); one over the size limit is dropped and the client told, the link stays.</summary>
    private async Task PublishPresenceAsync(PresenceUpdateMessage presence, CancellationToken cancellationToken)
    {
        if (presence.State.Length > _presence.Options.MaxStateBytes)
        {
            await SendAsync(new SyncMessage[] { new ErrorMessage(ProtocolErrorCode.PresenceTooLarge, presence.DocumentId,
                $"a presence state of {presence.State.Length} bytes is over the server's limit of {_presence.Options.MaxStateBytes}; it was dropped") }, cancellationToken).ConfigureAwait(false);
            return;
        }

        _presence.Publish(_link.Id, presence.DocumentId, presence.State);
    }

    private async Task SendPresenceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var batch = new List<PresenceChangedMessage>();
            while (await _presenceOut.TakeAsync(batch, 256, cancellationToken).ConfigureAwait(false))
            {
                await SendAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is closing: its peers were told it left.
        }
    }

    /// <summary>Refuses one document on this link with a per-document error frame; the link stays open.</summary>
    private async Task FailDocumentAsync(string documentId, DocumentLane lane, SqlSyncException error, CancellationToken cancellationToken)
    {
        lane.Failed = true;
        _link.Forget(documentId);
        _presence.Closed(_link.Id, documentId);
        lock (_retained)
        {
            if (_retained.Remove(documentId, out HostedDocument? hosted))
            {
                _host.Release(hosted);
            }
        }

        // A takeover is logged once by the host, not once per link.
        _logger.Log(ServerLink.IsClosedUnder(error) ? LogLevel.Debug : LogLevel.Warning,
            "Link {LinkId} ({Client}): document {DocumentId} refused on its own: {Error}", _link.Id, _link.ClientName, documentId, error.Message);
        await SendAsync(new SyncMessage[] { WebSocketFrames.ErrorFor(error) }, cancellationToken).ConfigureAwait(false);
    }

    private void Retain(string documentId, DocumentLease lease)
    {
        lock (_retained)
        {
            if (!_retained.TryGetValue(documentId, out HostedDocument? held))
            {
                _retained[documentId] = _host.Retain(lease);
            }
            else if (held != lease.Hosted)
            {
                // Reopened after the copy it held was closed (fenced): hold the current one, let go of the old.
                _retained[documentId] = _host.Retain(lease);
                _host.Release(held);
            }
        }
    }

    private void OnStorageChanged(string documentId)
    {
        // One poll queued at a time; when the lane is full it has messages to apply, and applying them polls too.
        if (_link.HasDocument(documentId) && _lanes.TryGetValue(documentId, out DocumentLane? lane)
            && Interlocked.Exchange(ref lane.PollPending, 1) == 0 && !lane.Messages.Writer.TryWrite(null))
        {
            Interlocked.Exchange(ref lane.PollPending, 0);
        }
    }

    /// <summary>Tells the client its document is stuck: an error frame it treats as a status (the link stays open).</summary>
    private void OnDocumentStuck(string documentId, string message)
    {
        if (_link.HasDocument(documentId))
        {
            _ = SendStuckAsync(new ErrorMessage(ProtocolErrorCode.DocumentStuck, documentId, message));
        }
    }

    private async Task SendStuckAsync(ErrorMessage message)
    {
        try
        {
            await SendAsync(new SyncMessage[] { message }, _stuckToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is closing: nothing to tell.
        }
    }

    private async Task SendAsync(IReadOnlyList<SyncMessage> messages, CancellationToken cancellationToken, bool last = false)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ending)
            {
                return; // the error frame that closes the link went out: nothing follows it
            }

            _ending = last;

            // The timer has its own source: the abort it causes also cancels the connection's token (request aborted).
            using var timer = new CancellationTokenSource();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            foreach (SyncMessage message in messages)
            {
                timer.CancelAfter(_limits.SendTimeout);
                int bytes;
                try
                {
                    bytes = await WebSocketFrames.SendAsync(_socket, message, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or WebSocketException && timer.IsCancellationRequested)
                {
                    // The client does not read: drop it rather than hold what it does not take.
                    _limitReason = $"the client did not take a {message.Type} frame within {_limits.SendTimeout}";
                    _socket.Abort();
                    throw;
                }

                _host.Metrics.BytesSent.Add(bytes);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task SendErrorAndCloseAsync(Exception error)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await SendAsync(new SyncMessage[] { WebSocketFrames.ErrorFor(error) }, timeout.Token, last: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        await CloseAsync(WebSocketCloseStatus.ProtocolError, "protocol error").ConfigureAwait(false);
    }

    private Task CloseAsync(WebSocketCloseStatus status, string description) =>
        WebSocketFrames.CloseQuietlyAsync(_socket, status, description);

    /// <summary>Frees the send lock; call after <see cref="RunAsync"/> has returned (its lanes are done by then).</summary>
    public void Dispose() => _sendLock.Dispose();

    /// <summary>One document's queue of messages on this connection and the task that applies them.</summary>
    private sealed class DocumentLane
    {
        public Channel<SyncMessage?> Messages { get; } = Channel.CreateBounded<SyncMessage?>(new BoundedChannelOptions(LaneCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });

        public Task Worker { get; set; } = Task.CompletedTask;

        /// <summary>1 while a poll is queued.</summary>
        public int PollPending;

        /// <summary>Messages queued and not yet applied (polls aside): while any are, new ones queue behind them.</summary>
        public int Queued;

        /// <summary>The document failed on this link; its messages are dropped until the client opens it again.</summary>
        public bool Failed { get; set; }
    }
}
