using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>
/// Syncs local documents with a SqlSync server over one WebSocket: uploads local mutations as they are
/// made, receives the server's storage and rebases, and reconnects with exponential backoff and jitter
/// when the connection drops or the server refuses it; the backoff starts over only after a connection that synced
/// (<see cref="ReconnectBackoff"/>). Documents keep working offline meanwhile. The client never holds its own
/// lock while a document rebases or while user code runs: <see cref="StatusChanged"/> is raised after
/// the lock is released, one transition at a time and in order (docs/architecture.md, lock order).
/// </summary>
public sealed partial class SqlSyncClient : IAsyncDisposable
{
    private readonly SqlSyncClientOptions _options;
    private readonly object _engineLock = new();
    private readonly ReplicationClient _engine;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _statusLock = new();
    private readonly List<Channel<SyncConnectionStatus>> _watchers = new();
    private readonly EventQueue<SyncConnectionStatus> _statusEvents;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<LocalDocument> _documents = new();

    // Per document, where the next WaitUntilSyncedAsync's mutations start: where the previous wait's ended, or the first
    // pending mutation when the document was added. Not the pending range at the call: a mutation confirmed (and
    // rejected) between its Mutate and the wait has left it, and its rejection belongs in that wait's result.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<LocalDocument, Lsn> _waitFrom = new();
    private Task? _run;
    private volatile SyncConnectionStatus _status = SyncConnectionStatus.Disconnected;
    private volatile bool _sessionSynced; // this connection synced something: the backoff may start over
    private Exception? _errorAtSessionStart; // LastError when this connection began: cleared once it syncs
    private int _disposed;

    /// <summary>Creates a client; call <see cref="Start"/> to connect.</summary>
    public SqlSyncClient(SqlSyncClientOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.ServerUri.Scheme is not ("ws" or "wss"))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"The server URI must be ws:// or wss://, not '{options.ServerUri}'.");
        }

        _engine = new ReplicationClient(options.ClientName, options.Replication);
        _statusEvents = new EventQueue<SyncConnectionStatus>(status => StatusChanged?.Invoke(this, status));
    }

    /// <summary>
    /// Raised when <see cref="Status"/> changes, once per transition and in order, on a background thread
    /// of the client, with no lock held: handlers may call back into the client and its documents.
    /// </summary>
    public event EventHandler<SyncConnectionStatus>? StatusChanged;

    /// <summary>The connection's state now.</summary>
    public SyncConnectionStatus Status => _status;

    /// <summary>
    /// Why the last connection ended or failed, if it did; or that a document the server opened read-only holds
    /// local mutations that cannot upload (its message names the document; the connection stays up).
    /// </summary>
    public Exception? LastError { get; private set; }

    /// <summary>How many connections were made (1 after the first successful connect).</summary>
    public int ConnectionCount { get; private set; }

    /// <summary>Adds a document to sync; may be called before or after <see cref="Start"/>.</summary>
    public void Add(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            _engine.AddDocument(document);
            _documents.Add(document);
        }

        LsnRange pending = document.TimelineRange;
        _waitFrom.TryAdd(document, pending.IsEmpty ? pending.Next : pending.First);

        document.Changed += OnDocumentChanged;
        document.MutationRejected += OnMutationRejected;
        document.TimelineDurable += Wake;
        RefreshDocumentStates();
        Wake();
    }

    /// <summary>Starts connecting in the background. Returns at once.</summary>
    public void Start()
    {
        if (_run is not null)
        {
            throw new InvalidOperationException("The client is already started.");
        }

        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>True when <paramref name="document"/> is open on a live connection and the server holds all its mutations.</summary>
    public bool IsUploaded(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            return _engine.IsConnected && _engine.IsUploaded(document.DocumentId);
        }
    }

    /// <summary>
    /// The server's report that it is stuck applying <paramref name="document"/>'s mutations (a reducer running
    /// far longer than it should: the server's watchdog), or null; cleared when the document's storage arrives
    /// again. Uploads of a stuck document wait; the connection's other documents keep syncing.
    /// </summary>
    public string? GetStuckReport(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            return _engine.GetStuckReport(document.DocumentId);
        }
    }

    /// <summary>
    /// The server's report that <paramref name="document"/> failed or was refused on its own (it could not be
    /// opened there, or the server has too many documents open), or null. The connection stays and its other
    /// documents keep syncing; the document is opened again at the next connection. <see cref="LastError"/> names
    /// it too.
    /// </summary>
    public string? GetDocumentError(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            return _engine.GetDocumentError(document.DocumentId);
        }
    }

    /// <summary>Status changes as they happen, starting with the current status.</summary>
    public async IAsyncEnumerable<SyncConnectionStatus> WatchStatusAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<SyncConnectionStatus>();
        lock (_statusLock)
        {
            _watchers.Add(channel);
            channel.Writer.TryWrite(_status);
        }

        try
        {
            await foreach (SyncConnectionStatus status in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return status;
            }
        }
        finally
        {
            lock (_statusLock)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Closes the connection cleanly and stops reconnecting. Documents stay open (they are the caller's).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // disposing twice is a no-op, as IAsyncDisposable requires
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            try
            {
                await _run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        foreach (LocalDocument document in _documents)
        {
            document.Changed -= OnDocumentChanged;
            document.MutationRejected -= OnMutationRejected;
            document.TimelineDurable -= Wake;
        }

        lock (_statusLock)
        {
            foreach (Channel<SyncConnectionStatus> watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }

            CompleteDocumentWatchers();
        }

        _stop.Dispose();
    }

    private void OnDocumentChanged(object? sender, DocumentChangedEventArgs e)
    {
        if (e.Kind == DocumentChange.LocalMutation)
        {
            if (sender is LocalDocument document && !IsRecordedUploading(document))
            {
                ClearRejected(document);
                RefreshDocumentStates(); // a document already uploading stays so: no lock taken on this hot path
            }

            Wake();
            return;
        }

        RefreshDocumentStates();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Wakes the sender when a refused document may be opened again (a stopped client ignores the wake).</summary>
    private async Task WakeAfterAsync(TimeSpan delay)
    {
        await Task.Delay(delay + TimeSpan.FromMilliseconds(5)).ConfigureAwait(false);
        Wake();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new ReconnectBackoff(_options.ReconnectMinDelay, _options.ReconnectMaxDelay);
        while (!stopping.IsCancellationRequested)
        {
            SetStatus(SyncConnectionStatus.Connecting);
            Exception? ended = null;
            _sessionSynced = false;
            _errorAtSessionStart = LastError;
            try
            {
                using var socket = new ClientWebSocket();
                _options.ConfigureWebSocket?.Invoke(socket.Options);
                await socket.ConnectAsync(_options.ServerUri, stopping).ConfigureAwait(false);
                ConnectionCount++;
                await RunConnectionAsync(socket, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LastError = ex;
                ended = ex;
            }
            finally
            {
                lock (_engineLock)
                {
                    _engine.Disconnect();
                    Transition(SyncConnectionStatus.Disconnected);
                    RefreshDocumentStatesLocked();
                }

                DrainEvents();
            }

            TimeSpan delay = ReconnectBackoff.Jitter(backoff.Next(_sessionSynced, ended), Random.Shared);
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// One connection. Socket operations are never cancelled by <paramref name="stopping"/> (a cancelled send or receive
    /// aborts a WebSocket, so the server saw no close handshake): stopping ends the sender, sends a close frame, and the
    /// receive loop ends when the server's close arrives, or after two seconds (then the socket is aborted).
    /// </summary>
    private async Task RunConnectionAsync(ClientWebSocket socket, CancellationToken stopping)
    {
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var abort = new CancellationTokenSource(); // aborts socket operations: an ended connection, or a close that takes too long
        using var sendLock = new SemaphoreSlim(1, 1); // the sender and the close below are awaited before it is disposed
        bool closeSent = false; // under sendLock
        async Task SendAllAsync(IReadOnlyList<SyncMessage> messages)
        {
            if (messages.Count == 0)
            {
                return;
            }

            await sendLock.WaitAsync(abort.Token).ConfigureAwait(false);
            try
            {
                foreach (SyncMessage message in messages)
                {
                    if (closeSent)
                    {
                        return; // the client is stopping: nothing goes after the close frame
                    }

                    await WebSocketFrames.SendAsync(socket, message, abort.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                sendLock.Release();
            }
        }

        async Task CloseOnStopAsync()
        {
            abort.CancelAfter(TimeSpan.FromSeconds(2)); // a server that does not answer the close is cut off
            try
            {
                await sendLock.WaitAsync(abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                closeSent = true;
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client stopping", abort.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                sendLock.Release();
            }
        }

        IReadOnlyList<SyncMessage> hello;
        lock (_engineLock)
        {
            hello = _engine.Connect();
        }

        await SendAllAsync(hello).ConfigureAwait(false);
        MarkPresenceUnsent(); // a new connection: every published state is sent again once its document is open
        Task presenceRefresh = RefreshPresenceAsync(stopSending.Token);
        Task sender = Task.Run(async () =>
        {
            while (await _wake.Reader.WaitToReadAsync(stopSending.Token).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                IReadOnlyList<SyncMessage> polled;
                lock (_engineLock)
                {
                    polled = WithPresenceUpdates(_engine.Poll());
                }

                await SendAllAsync(polled).ConfigureAwait(false);
                UpdateConnectedStatus();
            }
        }, stopSending.Token);

        Task? closing = null;
        CancellationTokenRegistration onStop = stopping.Register(() => closing = CloseOnStopAsync());
        var inbox = new ClientInbox(socket, _options.Replication.MaxFrameBytes, presence =>
        {
            if (!stopping.IsCancellationRequested)
            {
                ApplyPresence(presence); // closing: what still arrives before the server's close is not handled
            }
        }, abort.Token);
        try
        {
            while (true)
            {
                IReadOnlyList<SyncMessage>? batch = await inbox.ReceiveAsync().ConfigureAwait(false);
                SyncMessage? message = batch?[0];
                if (message is null)
                {
                    if (stopping.IsCancellationRequested)
                    {
                        return; // the server answered our close: the handshake is complete
                    }

                    throw new SqlSyncException(SqlSyncErrorCode.Protocol, "The server closed the connection.");
                }

                if (stopping.IsCancellationRequested)
                {
                    continue; // closing: what still arrives before the server's close is not handled
                }

                IReadOnlyList<SyncMessage> replies;
                try
                {
                    replies = batch!.Count == 1 ? Handle(message) : HandleStorageBatch(batch);
                }
                catch (SqlSyncException ex) when (message is not ErrorMessage)
                {
                    await TrySendErrorAsync(socket, ex).ConfigureAwait(false);
                    throw;
                }

                if (message is TimelineAckMessage or StorageEntriesMessage or StorageEntryPartMessage { IsLast: true })
                {
                    _sessionSynced = true;
                }

                await SendAllAsync(replies).ConfigureAwait(false);
                if (message is DocumentOpenedMessage)
                {
                    Wake(); // presence waits for its document to be open
                }

                UpdateConnectedStatus();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // the server did not answer the close in time (the socket was aborted): stopping anyway
        }
        finally
        {
            await onStop.DisposeAsync().ConfigureAwait(false);
            await stopSending.CancelAsync().ConfigureAwait(false);
            try
            {
                await sender.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // the sender stops with the connection; a failed send ends the receive loop too
            }

            await presenceRefresh.ConfigureAwait(false); // it ends quietly when cancelled

            if (closing is not null)
            {
                await closing.ConfigureAwait(false);
            }

            await abort.CancelAsync().ConfigureAwait(false);
            await inbox.StopAsync().ConfigureAwait(false);
            ResetPresence(); // nobody is known to be present on a lost connection; after the reader, which applies presence, ended

        }
    }

    private static async Task TrySendErrorAsync(WebSocket socket, SqlSyncException error)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await WebSocketFrames.SendAsync(socket, WebSocketFrames.ErrorFor(error), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        await WebSocketFrames.CloseQuietlyAsync(socket, WebSocketCloseStatus.ProtocolError, "protocol error").ConfigureAwait(false);
    }

    private void UpdateConnectedStatus()
    {
        lock (_engineLock)
        {
            // Decided and recorded under the engine lock, so a transition never overtakes a newer one.
            if (_engine.IsConnected)
            {
                // A read-only document, or one the server refused on its own, does not hold the others' status back (LastError names it).
                bool uploaded = _documents.All(d => _engine.IsUploaded(d.DocumentId) || IsReadOnly(d) || _engine.GetDocumentError(d.DocumentId) is not null);
                Transition(uploaded ? SyncConnectionStatus.Connected : SyncConnectionStatus.Syncing);
                _sessionSynced |= uploaded; // every document open and uploaded: this connection works
                if (uploaded && _errorAtSessionStart is not null && ReferenceEquals(LastError, _errorAtSessionStart))
                {
                    LastError = null; // what ended an earlier connection is over; a refusal reported since stays
                    _errorAtSessionStart = null;
                }
            }

            RefreshDocumentStatesLocked();
        }

        DrainEvents();
    }

    /// <summary>
    /// True when the server opened <paramref name="document"/> read-only for this client: it has nothing it could
    /// upload, and its pending mutations, if any, never will; <see cref="LastError"/> says so. Engine lock held.
    /// </summary>
    private bool IsReadOnly(LocalDocument document)
    {
        if (_engine.GetAccess(document.DocumentId) != DocumentAccess.ReadOnly)
        {
            return false;
        }

        int pending = document.PendingMutationCount;
        string report = $"document '{document.DocumentId}' is read-only for this client: its {pending} pending mutation(s) cannot upload";
        if (pending > 0 && LastError?.Message.EndsWith(report, StringComparison.Ordinal) != true)
        {
            LastError = ProtocolException.Create(ProtocolErrorCode.AccessDenied, report);
        }

        return true;
    }

    private void SetStatus(SyncConnectionStatus status)
    {
        lock (_engineLock)
        {
            Transition(status);
            RefreshDocumentStatesLocked();
        }

        DrainEvents();
    }

    /// <summary>Records a transition and queues its event; the caller holds the engine lock and drains after it.</summary>
    private void Transition(SyncConnectionStatus status)
    {
        lock (_statusLock)
        {
            if (_status == status)
            {
                return;
            }

            _status = status;
            foreach (Channel<SyncConnectionStatus> watcher in _watchers)
            {
                watcher.Writer.TryWrite(status);
            }

            _statusEvents.Enqueue(status);
        }
    }
}
