using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;

namespace SqlSync.Transport;

/// <summary>
/// Per-document sync state: derived from the link (connected, opened, access, per-document refusals) and the document
/// (pending mutations, rejections learnt at a rebase), recorded under the engine lock and the status lock like the
/// connection's status, and delivered in order outside every lock (docs/decisions/0019-durable-mutate-async-and-sync-status.md).
/// </summary>
public sealed partial class SqlSyncClient
{
    private readonly Dictionary<LocalDocument, DocumentSyncState> _documentStates = new(ReferenceEqualityComparer.Instance); // status lock
    private readonly List<(LocalDocument Document, Channel<DocumentSyncState> Channel)> _documentWatchers = new(); // status lock
    private readonly Dictionary<LocalDocument, string> _rejected = new(ReferenceEqualityComparer.Instance); // engine lock
    private EventQueue<DocumentSyncState>? _documentEvents;

    /// <summary>
    /// Raised when a document's <see cref="DocumentSyncState"/> changes, once per transition and in order, with no lock
    /// held (on a background thread of the client, or on the thread whose mutation changed it).
    /// </summary>
    public event EventHandler<DocumentSyncState>? DocumentSyncStateChanged;

    private EventQueue<DocumentSyncState> DocumentEvents =>
        LazyInitializer.EnsureInitialized(ref _documentEvents, () => new EventQueue<DocumentSyncState>(state => DocumentSyncStateChanged?.Invoke(this, state)));

    /// <summary>The sync state of <paramref name="document"/> now.</summary>
    public DocumentSyncState GetSyncState(LocalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            ThrowIfNotAdded(document);
            return ComputeState(document);
        }
    }

    /// <summary>The sync states of <paramref name="document"/> as they change, starting with the current one.</summary>
    public async IAsyncEnumerable<DocumentSyncState> WatchSyncStateAsync(LocalDocument document, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var channel = Channel.CreateUnbounded<DocumentSyncState>();
        lock (_engineLock)
        {
            ThrowIfNotAdded(document);
            DocumentSyncState now = ComputeState(document);
            lock (_statusLock)
            {
                _documentWatchers.Add((document, channel));
                channel.Writer.TryWrite(_documentStates.TryGetValue(document, out DocumentSyncState? recorded) ? recorded : now);
                if (_disposed == 1)
                {
                    channel.Writer.TryComplete();
                }
            }
        }

        try
        {
            await foreach (DocumentSyncState state in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return state;
            }
        }
        finally
        {
            lock (_statusLock)
            {
                _documentWatchers.Remove((document, channel));
            }
        }
    }

    /// <summary>
    /// Waits until every local mutation of <paramref name="document"/> made before this call is applied by the server
    /// (or rejected) and the document has rebased on it, on a connection that has the document open. Rejections do not
    /// throw: the result lists those of the mutations made since the previous wait on this document returned (or since it
    /// was added), including mutations the server had already applied or rejected before this call. Offline, or while the
    /// server refuses the document, the wait goes on (bound it with <paramref name="cancellationToken"/>). With no local
    /// mutation pending it completes once the document is open on a connection.
    /// </summary>
    /// <exception cref="SqlSyncException"><see cref="SqlSyncErrorCode.DocumentReadOnly"/> when the server opened the document
    /// read-only and mutations the wait covers can never upload; <see cref="SqlSyncErrorCode.ClientStopped"/> when the client
    /// is disposed meanwhile.</exception>
    public async Task<SyncResult> WaitUntilSyncedAsync(LocalDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_engineLock)
        {
            ThrowIfNotAdded(document);
        }

        // The mutations made before this call and since the previous wait (see _waitFrom), pending or already confirmed.
        Lsn next = document.TimelineRange.Next;
        Lsn from = _waitFrom.TryGetValue(document, out Lsn start) && start <= next ? start : next;
        LsnRange covered = from < next ? LsnRange.Inclusive(from, new Lsn(next.Value - 1)) : LsnRange.EmptyAt(next);
        var poke = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        EventHandler<DocumentChangedEventArgs> onChanged = (_, _) => poke.Writer.TryWrite(true);
        EventHandler<DocumentSyncState> onState = (_, state) =>
        {
            if (state.DocumentId == document.DocumentId)
            {
                poke.Writer.TryWrite(true);
            }
        };
        document.Changed += onChanged;
        DocumentSyncStateChanged += onState;
        try
        {
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, StopToken());
            bool settled = false;
            while (true)
            {
                ThrowIfStopped(document);
                (Lsn? applied, _) = document.SyncPosition();
                bool allApplied = covered.IsEmpty || (applied is Lsn last && last.Next >= covered.Next);
                DocumentSyncState state = GetSyncState(document);
                if (!allApplied && state.Status == DocumentSyncStatus.ReadOnly)
                {
                    throw new SqlSyncException(SqlSyncErrorCode.DocumentReadOnly,
                        $"Document '{document.DocumentId}' is read-only for this client: its local mutations cannot upload, so it never syncs.");
                }

                if (allApplied && state.Status is DocumentSyncStatus.UpToDate or DocumentSyncStatus.Rejected or DocumentSyncStatus.Uploading or DocumentSyncStatus.ReadOnly)
                {
                    IReadOnlyList<RejectedMutation> rejections = covered.IsEmpty ? Array.Empty<RejectedMutation>() : document.GetRejections(covered.First, covered.Last);
                    if (rejections.Count > 0 && state.Status == DocumentSyncStatus.UpToDate && !settled)
                    {
                        // The rebase that found them released the document's lock, and its events (MutationRejected, then
                        // Changed) may still be on their way to this client: let them land, so that GetSyncState agrees
                        // with the result. Bounded: a later round may have cleared the rejection, and then no event comes.
                        settled = true;
                        poke.Reader.TryRead(out _);
                        if (GetSyncState(document).Status == DocumentSyncStatus.UpToDate)
                        {
                            try
                            {
                                await poke.Reader.WaitToReadAsync(stopped.Token).AsTask().WaitAsync(RejectionDeliveryWait, stopped.Token).ConfigureAwait(false);
                            }
                            catch (TimeoutException)
                            {
                            }
                        }

                        continue;
                    }

                    _waitFrom.AddOrUpdate(document, next, (_, previous) => previous > next ? previous : next); // the next wait starts here
                    return new SyncResult(document.DocumentId, rejections);
                }

                try
                {
                    await poke.Reader.WaitToReadAsync(stopped.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    ThrowIfStopped(document);
                    throw;
                }

                poke.Reader.TryRead(out _);
            }
        }
        finally
        {
            document.Changed -= onChanged;
            DocumentSyncStateChanged -= onState;
        }
    }

    private CancellationToken StopToken()
    {
        try
        {
            return _stop.Token;
        }
        catch (ObjectDisposedException)
        {
            return new CancellationToken(canceled: true);
        }
    }

    private void ThrowIfStopped(LocalDocument document)
    {
        if (_disposed == 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.ClientStopped, $"The client stopped while document '{document.DocumentId}' was waiting to sync.");
        }
    }

    private void ThrowIfNotAdded(LocalDocument document)
    {
        if (!_documents.Contains(document))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"Document '{document.DocumentId}' is not synced by this client (call Add first).");
        }
    }

    /// <summary>How long a wait that found rejections gives their events to reach this client (microseconds, normally).</summary>
    private static readonly TimeSpan RejectionDeliveryWait = TimeSpan.FromSeconds(1);

    private void OnMutationRejected(object? sender, RejectedMutation rejection)
    {
        if (sender is LocalDocument document)
        {
            lock (_engineLock)
            {
                _rejected[document] = $"mutation {rejection.Lsn} was rejected: {rejection.Error}";
            }
        }
    }

    /// <summary>A new local mutation starts a new round: an earlier rejection no longer describes the document.</summary>
    private void ClearRejected(LocalDocument document)
    {
        lock (_engineLock)
        {
            _rejected.Remove(document);
        }
    }

    private bool IsRecordedUploading(LocalDocument document)
    {
        lock (_statusLock)
        {
            return _documentStates.TryGetValue(document, out DocumentSyncState? recorded) && recorded.Status == DocumentSyncStatus.Uploading;
        }
    }

    private void RefreshDocumentStates()
    {
        lock (_engineLock)
        {
            RefreshDocumentStatesLocked();
        }

        DrainEvents();
    }

    /// <summary>Records each document's state and queues its change; engine lock held, <see cref="DrainEvents"/> after it.</summary>
    private void RefreshDocumentStatesLocked()
    {
        foreach (LocalDocument document in _documents)
        {
            DocumentSyncState state = ComputeState(document);
            lock (_statusLock)
            {
                if (_documentStates.TryGetValue(document, out DocumentSyncState? recorded) && recorded == state)
                {
                    continue;
                }

                _documentStates[document] = state;
                foreach ((LocalDocument watched, Channel<DocumentSyncState> channel) in _documentWatchers)
                {
                    if (ReferenceEquals(watched, document))
                    {
                        channel.Writer.TryWrite(state);
                    }
                }

                DocumentEvents.Enqueue(state);
            }
        }
    }

    /// <summary>Engine lock held (it may take the document's lock, below it).</summary>
    private DocumentSyncState ComputeState(LocalDocument document)
    {
        string id = document.DocumentId;
        if (!_engine.IsConnected)
        {
            return new DocumentSyncState(id, DocumentSyncStatus.Offline);
        }

        if (_engine.GetVersionRefusal(id) is ProtocolErrorCode versionRefusal)
        {
            return new DocumentSyncState(id,
                versionRefusal == ProtocolErrorCode.UpgradeRequired ? DocumentSyncStatus.UpgradeRequired : DocumentSyncStatus.ServerOlderThanClient,
                _engine.GetDocumentError(id));
        }

        if (_engine.GetDocumentError(id) is string refused)
        {
            return new DocumentSyncState(id, DocumentSyncStatus.Refused, refused);
        }

        DocumentAccess? access = _engine.GetAccess(id);
        if (access is null)
        {
            return new DocumentSyncState(id, DocumentSyncStatus.Opening);
        }

        int pending = document.PendingMutationCount;
        if (access == DocumentAccess.ReadOnly)
        {
            return new DocumentSyncState(id, DocumentSyncStatus.ReadOnly,
                pending > 0 ? $"the server opened the document read-only for this client: its {pending} local mutation(s) cannot upload" : null);
        }

        if (pending > 0)
        {
            return new DocumentSyncState(id, DocumentSyncStatus.Uploading);
        }

        return _rejected.TryGetValue(document, out string? rejected)
            ? new DocumentSyncState(id, DocumentSyncStatus.Rejected, rejected)
            : new DocumentSyncState(id, DocumentSyncStatus.UpToDate);
    }

    /// <summary>Status lock held: ends every <see cref="WatchSyncStateAsync"/> (the client is disposed).</summary>
    private void CompleteDocumentWatchers()
    {
        foreach ((_, Channel<DocumentSyncState> channel) in _documentWatchers)
        {
            channel.Writer.TryComplete();
        }
    }

    /// <summary>Delivers queued status and document-state events; never called under a lock.</summary>
    private void DrainEvents()
    {
        _statusEvents.Drain();
        _documentEvents?.Drain();
    }
}
