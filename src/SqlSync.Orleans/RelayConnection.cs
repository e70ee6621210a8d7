using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Server;
using SqlSync.Transport;

namespace SqlSync.Orleans;

/// <summary>
/// One client's WebSocket on a silo of the cluster. The receive loop checks each frame here (hello, the principal's
/// quotas, authorization: <see cref="ServerLink.Accept"/> on a link of its own) and hands what is for a document to that
/// document's lane, which relays it to the document's grain wherever it lives and sends the replies. The grain signals
/// storage changes through this connection's observer; the lane then polls (decision 0038). A document whose grain
/// lost this link (it moved, its silo died) is refused with <see cref="ProtocolErrorCode.DocumentFailed"/>: the client
/// opens it again after its reopen delay, on whichever silo has it then.
/// </summary>
internal sealed class RelayConnection : IDocumentObserver, IDisposable
{
    private readonly WebSocket _socket;
    private readonly ServerLink _link;
    private readonly LinkIdentity _identity;
    private readonly ConnectionLimits _limits;
    private readonly ILogger _logger;
    private readonly IGrainFactory _grains;
    private readonly CoordinatorHost _host;
    private readonly Guid _id = Guid.NewGuid();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, RelayLane> _lanes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _failed = new();
    private IDocumentObserver? _observer;
    private byte[] _hello = [];
    private bool _ending;

    public RelayConnection(WebSocket socket, ServerLink link, LinkIdentity identity, ConnectionLimits limits, ILogger logger, IGrainFactory grains, CoordinatorHost host)
    {
        _socket = socket;
        _link = link;
        _identity = identity;
        _limits = limits;
        _logger = logger;
        _grains = grains;
        _host = host;
    }

    public async Task RunAsync(CancellationToken aborted)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted, _host.Stopping, _failed.Token);
        await using var deadline = new HelloDeadline(_socket, _limits.HelloTimeout);
        _observer = _grains.CreateObjectReference<IDocumentObserver>(this);
        _host.Metrics.Connections.Add(1);
        try
        {
            await ReceiveAsync(deadline, cancel.Token).ConfigureAwait(false);
        }
        catch (Exception) when (deadline.Expired)
        {
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            if (_host.Stopping.IsCancellationRequested)
            {
                await WebSocketFrames.CloseQuietlyAsync(_socket, WebSocketCloseStatus.EndpointUnavailable, "server stopping").ConfigureAwait(false);
            }
        }
        catch (WebSocketException ex)
        {
            _logger.LogInformation("Link {LinkId} ({Client}) lost: {Error}", _link.Id, _link.ClientName, ex.Message);
        }
        catch (Exception ex)
        {
            await FailAsync(ex).ConfigureAwait(false);
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            foreach (RelayLane lane in _lanes.Values)
            {
                lane.Messages.Writer.TryComplete();
                await lane.Worker.ConfigureAwait(false); // lanes catch their own exceptions
                if (lane.Attached)
                {
                    await DetachAsync(lane.DocumentId).ConfigureAwait(false);
                }
            }

            _grains.DeleteObjectReference<IDocumentObserver>(_observer);
            _host.Metrics.Connections.Add(-1);
            _link.Close();
        }
    }

    public Task StorageChanged(string documentId)
    {
        if (_lanes.TryGetValue(documentId, out RelayLane? lane) && lane.Attached)
        {
            lane.RequestPoll();
        }

        return Task.CompletedTask;
    }

    public Task LinksLost(string documentId)
    {
        if (_lanes.TryGetValue(documentId, out RelayLane? lane) && lane.Attached)
        {
            lane.RequestPoll(); // the poll finds no link and refuses the document: the client opens it again
        }

        return Task.CompletedTask;
    }

    public Task<bool> IsServedBy(string documentId, Guid activation) =>
        Task.FromResult(_lanes.TryGetValue(documentId, out RelayLane? lane) && lane.Attached && lane.Activation == activation);

    /// <summary>Every attached document polls its grain (see <see cref="ClusterRelay.SiloLeft"/>).</summary>
    public void PollAll()
    {
        foreach (RelayLane lane in _lanes.Values)
        {
            if (lane.Attached)
            {
                lane.RequestPoll();
            }
        }
    }

    public void Dispose()
    {
        _sendLock.Dispose();
        _failed.Dispose();
    }

    private async Task ReceiveAsync(HelloDeadline deadline, CancellationToken cancellationToken)
    {
        bool welcomed = false;
        while (true)
        {
            int maxBytes = welcomed ? _limits.MaxFrameBytes : _limits.MaxHelloBytes;
            (SyncMessage? message, int bytes) = await WebSocketFrames.ReceiveAsync(_socket, maxBytes, _limits.Budget, cancellationToken).ConfigureAwait(false);
            if (!welcomed && !deadline.TryStop())
            {
                return; // too late: the deadline is closing the connection
            }

            welcomed = true;
            if (message is null)
            {
                await WebSocketFrames.CloseQuietlyAsync(_socket, WebSocketCloseStatus.NormalClosure, "bye").ConfigureAwait(false);
                return;
            }

            _host.Metrics.BytesReceived.Add(bytes);
            switch (message)
            {
                case PresenceUpdateMessage:
                    continue; // presence is not relayed through the cluster yet (decision 0038): dropped, never an error
                case TimelineEntryPartMessage part when _hello.Length > 0:
                    // The parts of a large entry are gathered by the grain's link, which knows the document's timeline.
                    ThrowIfNeverOpened(part.DocumentId, part);
                    _link.ChargeUpload(part.DocumentId, part.Bytes.Length); // the grain's link charges creations and claims only
                    await EnqueueAsync(part.DocumentId, part, cancellationToken).ConfigureAwait(false);
                    continue;
            }

            SyncMessage? work;
            IReadOnlyList<SyncMessage> replies;
            try
            {
                work = _link.Accept(message, out replies);
            }
            catch (SqlSyncException ex) when (ex.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code && SyncProtocol.IsDocumentError(code))
            {
                await SendAsync([WebSocketFrames.ErrorFor(ex)], cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (message is HelloMessage)
            {
                _hello = SyncMessageCodec.Encode(message);
            }

            await SendAsync(replies, cancellationToken).ConfigureAwait(false);
            if (work is not null)
            {
                string documentId = ServerLink.DocumentOf(work);
                if (work is not OpenDocumentMessage)
                {
                    ThrowIfNeverOpened(documentId, work);
                }

                await EnqueueAsync(documentId, work, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A message for a document this connection never opened is a protocol error, as on the single server; nothing reaches a grain.</summary>
    private void ThrowIfNeverOpened(string documentId, SyncMessage message)
    {
        if (!_lanes.ContainsKey(documentId))
        {
            throw ProtocolException.Create(ProtocolErrorCode.UnexpectedMessage, $"{message.Type} for document '{documentId}', which this link has not opened");
        }
    }

    private async Task EnqueueAsync(string documentId, SyncMessage message, CancellationToken cancellationToken)
    {
        if (!_lanes.TryGetValue(documentId, out RelayLane? lane))
        {
            if (_lanes.Count >= _host.Options.MaxOpenDocuments)
            {
                _link.Forget(documentId);
                await SendAsync([new ErrorMessage(ProtocolErrorCode.TooManyDocuments, documentId,
                    $"document '{documentId}': this connection has the server's maximum of {_host.Options.MaxOpenDocuments} documents")], cancellationToken).ConfigureAwait(false);
                return;
            }

            lane = new RelayLane(documentId);
            _lanes[documentId] = lane; // only the receive loop adds lanes
            lane.Worker = Task.Run(() => RunLaneAsync(lane, cancellationToken), CancellationToken.None);
        }

        await lane.Messages.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private async Task RunLaneAsync(RelayLane lane, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (SyncMessage? message in lane.Messages.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (message is null)
                {
                    Interlocked.Exchange(ref lane.PollPending, 0);
                }

                await RelayAsync(lane, message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (WebSocketException)
        {
            // The connection is lost: the receive loop sees it too.
        }
        catch (Exception ex)
        {
            await FailAsync(ex).ConfigureAwait(false);
        }
    }

    /// <summary>One grain call for <paramref name="message"/> (null: a poll), and its replies sent to the client.</summary>
    private async Task RelayAsync(RelayLane lane, SyncMessage? message, CancellationToken cancellationToken)
    {
        if (message is not OpenDocumentMessage && !lane.Attached)
        {
            return; // refused or moved: the client was told and opens the document again
        }

        IDocumentGrain grain = _grains.GetGrain<IDocumentGrain>(lane.DocumentId);
        RelayReply reply;
        try
        {
            reply = message switch
            {
                null => await grain.PollAsync(_id).WaitAsync(cancellationToken).ConfigureAwait(false),
                OpenDocumentMessage => await grain.OpenAsync(new RelayOpen
                {
                    Connection = _id,
                    Principal = _identity.Principal,
                    Access = _identity.Authorize(lane.DocumentId),
                    Hello = _hello,
                    Open = SyncMessageCodec.Encode(message),
                    QuotaKey = _identity.QuotaKey,
                }, _observer!).WaitAsync(cancellationToken).ConfigureAwait(false),
                _ => await grain.ReceiveAsync(_id, SyncMessageCodec.Encode(message)).WaitAsync(cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The grain's silo died or the call timed out: the client opens the document again, wherever it lives then.
            _logger.LogInformation("Link {LinkId} ({Client}): document {DocumentId} unreachable: {Error}", _link.Id, _link.ClientName, lane.DocumentId, ex.Message);
            reply = RelayReply.LinkUnknown;
        }

        switch (reply.Outcome)
        {
            case RelayOutcome.Ok:
                if (message is OpenDocumentMessage)
                {
                    // Attached before the replies are sent: sending may wait on a slow socket longer than the grain's link
                    // check, which must find the lane using this activation. A poll queued meanwhile runs after this call.
                    lane.Activation = reply.Activation;
                    lane.Attached = true;
                }

                await SendFramesAsync(reply.Frames, cancellationToken).ConfigureAwait(false);
                if (message is OpenDocumentMessage)
                {
                    lane.RequestPoll(); // a change signalled between the grain's open and now found the lane detached: poll once
                }

                break;
            case RelayOutcome.DocumentRefused:
                Refuse(lane);
                await SendFramesAsync(reply.Frames, cancellationToken).ConfigureAwait(false);
                break;
            case RelayOutcome.LinkUnknown:
                Refuse(lane);
                SqlSyncException moved = RelayErrors.Moved(lane.DocumentId, "the node serving it changed; it is opened again");
                await SendAsync([WebSocketFrames.ErrorFor(moved)], cancellationToken).ConfigureAwait(false);
                break;
            default:
                Refuse(lane);
                _host.Metrics.ProtocolErrors.Add(1);
                _logger.LogWarning("Link {LinkId} ({Client}) closed for a protocol error on document {DocumentId}.", _link.Id, _link.ClientName, lane.DocumentId);
                await SendFramesAsync(reply.Frames, cancellationToken, last: true).ConfigureAwait(false);
                await WebSocketFrames.CloseQuietlyAsync(_socket, WebSocketCloseStatus.ProtocolError, "protocol error").ConfigureAwait(false);
                await _failed.CancelAsync().ConfigureAwait(false);
                break;
        }
    }

    private void Refuse(RelayLane lane)
    {
        lane.Attached = false;
        _link.Forget(lane.DocumentId); // gives back what its open counted against the principal
    }

    private async Task DetachAsync(string documentId)
    {
        try
        {
            await _grains.GetGrain<IDocumentGrain>(documentId).DetachAsync(_id).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug(ex, "Link {LinkId}: document {DocumentId} not told that the connection ended.", _link.Id, documentId);
        }
    }

    private async Task FailAsync(Exception error)
    {
        if (error is SqlSyncException { Code: SqlSyncErrorCode.Protocol })
        {
            _host.Metrics.ProtocolErrors.Add(1);
            _logger.LogWarning("Link {LinkId} ({Client}) closed for a protocol error: {Error}", _link.Id, _link.ClientName, error.Message);
        }
        else
        {
            _logger.LogError(error, "Link {LinkId} ({Client}) failed.", _link.Id, _link.ClientName);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await SendAsync([WebSocketFrames.ErrorFor(error)], timeout.Token, last: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        await WebSocketFrames.CloseQuietlyAsync(_socket, WebSocketCloseStatus.ProtocolError, "protocol error").ConfigureAwait(false);
        await _failed.CancelAsync().ConfigureAwait(false);
    }

    private Task SendAsync(IReadOnlyList<SyncMessage> messages, CancellationToken cancellationToken, bool last = false) =>
        SendFramesAsync(messages.Select(SyncMessageCodec.Encode).ToArray(), cancellationToken, last);

    /// <summary>Sends encoded frames in order under the send lock; a client that does not take one within the send timeout is dropped.</summary>
    private async Task SendFramesAsync(byte[][] frames, CancellationToken cancellationToken, bool last = false)
    {
        if (frames.Length == 0)
        {
            return;
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ending)
            {
                return;
            }

            _ending = last;
            foreach (byte[] frame in frames)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_limits.SendTimeout);
                try
                {
                    await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The client does not read: drop it rather than hold what it does not take (as the single server does).
                    _logger.LogInformation("Link {LinkId} ({Client}) closed: the client did not take a frame within {Timeout}.", _link.Id, _link.ClientName, _limits.SendTimeout);
                    _socket.Abort();
                    throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "send timeout");
                }

                _host.Metrics.BytesSent.Add(frame.Length);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
