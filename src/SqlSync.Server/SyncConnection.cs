using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;

namespace SqlSync.Server;

/// <summary>
/// Serves one WebSocket: a receive loop that hands frames to the link and sends the replies, and a push
/// loop that sends storage when a document this link has open grows. A protocol error closes only this
/// connection, with an error frame and a log line. The connection's limits (<see cref="ConnectionLimits"/>: hello
/// deadline, message limits and receive budget, send timeout) close it with one log line at Information.
/// </summary>
internal sealed class SyncConnection : IDisposable
{
    private readonly WebSocket _socket;
    private readonly ServerLink _link;
    private readonly CoordinatorHost _host;
    private readonly ILogger _logger;
    private readonly ConnectionLimits _limits;
    private volatile string? _limitReason; // why a limit closed the connection, for its log line
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private CancellationToken _stuckToken;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public SyncConnection(WebSocket socket, ServerLink link, CoordinatorHost host, ConnectionLimits limits, ILogger logger)
    {
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
        Task push = Task.Run(() => PushAsync(cancel.Token), CancellationToken.None);
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
            await cancel.CancelAsync().ConfigureAwait(false);
            _host.StorageChanged -= OnStorageChanged;
            _host.DocumentStuck -= OnDocumentStuck;
            _host.Metrics.Connections.Add(-1);
            try
            {
                await push.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
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
            // Back-pressure before entries are appended: a whole entries message, or the last part of a large entry.
            string? uploadTo = message switch
            {
                TimelineEntriesMessage entries => entries.DocumentId,
                TimelineEntryPartMessage { IsLast: true } part => part.DocumentId,
                _ => null,
            };
            if (uploadTo is not null && _link.HasDocument(uploadTo))
            {
                await _host.WaitForCapacityAsync(uploadTo, cancellationToken).ConfigureAwait(false);
            }

            await SendAsync(_link.Handle(message), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PushAsync(CancellationToken cancellationToken)
    {
        while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _wake.Reader.TryRead(out _);
            await SendAsync(_link.Poll(), cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnStorageChanged(string documentId)
    {
        if (_link.HasDocument(documentId))
        {
            _wake.Writer.TryWrite(true);
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

    private async Task SendAsync(IReadOnlyList<SyncMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
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
            await SendAsync(new SyncMessage[] { WebSocketFrames.ErrorFor(error) }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        await CloseAsync(WebSocketCloseStatus.ProtocolError, "protocol error").ConfigureAwait(false);
    }

    private Task CloseAsync(WebSocketCloseStatus status, string description) =>
        WebSocketFrames.CloseQuietlyAsync(_socket, status, description);

    /// <summary>Frees the send lock; call after <see cref="RunAsync"/> has returned (its push loop is done by then).</summary>
    public void Dispose() => _sendLock.Dispose();
}
