using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Server;
using SqlSync.Transport;

namespace SqlSync.Orleans;

/// <summary>
/// A document's single writer in the cluster: the silo's <see cref="CoordinatorHost"/> opens it (journals on the
/// store every silo reaches), and the grain keeps a <see cref="ServerLink"/> per connection that opened it, fed with
/// the frames that connection's silo relays. While active it keeps the document open; once deactivated (idle, or its
/// silo leaves) the host closes it after its idle timeout. Two activations at once are harmless: the store refuses
/// the second writer (decision 0038).
/// </summary>
internal sealed class DocumentGrain : Grain, IDocumentGrain
{
    private readonly CoordinatorHost _host;
    private readonly ILogger<DocumentGrain> _logger;
    private readonly SqlSyncClusterOptions _options;
    private readonly QuotaLedger _quotas;
    private readonly ConcurrentDictionary<Guid, GrainLink> _links = new();
    private readonly Guid _activation = Guid.NewGuid(); // this activation, told to connections with each reply
    private readonly HashSet<ServerLink> _inCall = new(); // links with a call in progress: never checked or dropped then
    private HostedDocument? _retained;
    private string _documentId = "";
    private int _opening; // opens in progress (the link check interleaves with them)
    private HashSet<ServerLink> _unansweredLastCheck = new(); // links whose connection did not answer the previous check

    public DocumentGrain(CoordinatorHost host, ILogger<DocumentGrain> logger, SqlSyncClusterOptions options, QuotaLedger quotas)
    {
        _host = host;
        _quotas = quotas;
        _logger = logger;
        _options = options;
    }

    /// <summary>Connections with a link here now (tests, diagnostics).</summary>
    public int LinkCount => _links.Count;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _documentId = this.GetPrimaryKeyString();
        _host.StorageChanged += OnStorageChanged;
        // Interleaved: the checks wait on other silos, and the grain's calls go on meanwhile. Not a keep-alive.
        this.RegisterGrainTimer(CheckLinksAsync, new GrainTimerCreationOptions
        {
            DueTime = _options.LinkCheckInterval,
            Period = _options.LinkCheckInterval,
            Interleave = true,
        });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _host.StorageChanged -= OnStorageChanged;
        foreach (GrainLink link in _links.Values)
        {
            link.Link.Close();
            Signal(link, static (observer, id) => observer.LinksLost(id));
        }

        _links.Clear();
        if (_retained is not null)
        {
            _host.Release(_retained);
            _retained = null;

            // Closed now, not after the idle timeout: the next activation may be on another silo, which cannot open the
            // document while this one holds it. A duplicate activation that never opened it has nothing to close.
            try
            {
                await _host.CloseUnusedAsync(_documentId, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
            }
            catch (OperationCanceledException)
            {
                // Its mutations are still being applied: closed once they are, not after the host's idle timeout (a
                // document no grain holds only keeps the next activation, maybe on another silo, from opening it).
                _logger.LogInformation("Document {DocumentId}: its grain deactivated before the document closed; it closes once its queued mutations are applied.", _documentId);
                CoordinatorHost host = _host;
                string documentId = _documentId;
                ILogger logger = _logger;
                _ = Task.Run(() => CloseOnceUnusedAsync(host, documentId, logger), CancellationToken.None); // off the grain's scheduler: it outlives the activation
            }
        }

        _logger.LogDebug("Document grain {DocumentId} deactivated: {Reason}.", _documentId, reason);
    }

    public async Task<RelayReply> OpenAsync(RelayOpen open, IDocumentObserver observer)
    {
        ArgumentNullException.ThrowIfNull(open);
        if (_links.TryRemove(open.Connection, out GrainLink? previous))
        {
            previous.Link.Close(); // the client opens the document again on the same connection
        }

        // The connection's silo ran the authorization hook (the access is its answer) and counts the principal's open
        // documents and uploads; whether an open creates the document, or claims a timeline, only the grain can tell, so
        // those are charged here, to the principal's account on this silo (decision 0038).
        DocumentAccess access = open.Access;
        PrincipalQuota? quota = open.QuotaKey is { } key ? _quotas.For(key) : null;
        var identity = new LinkIdentity(open.Principal, _ => access, quota) { QuotaForCreationsOnly = true };
        ServerLink link = _host.Server.CreateLink(identity, entryBudget: null, maxEntryBytes: null);
        _opening++;
        try
        {
            return await OpenLinkAsync(open, observer, link).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        finally
        {
            _opening--;
        }
    }

    private async Task<RelayReply> OpenLinkAsync(RelayOpen open, IDocumentObserver observer, ServerLink link)
    {
        return await RunAsync(link, async () =>
        {
            link.Accept(SyncMessageCodec.Decode(open.Hello), out _);
            SyncMessage? work = link.Accept(SyncMessageCodec.Decode(open.Open), out _); // existence and readers, before anything is created
            using DocumentLease lease = await _host.AcquireAsync(_documentId, _host.Stopping).ConfigureAwait(true);
            IReadOnlyList<SyncMessage> replies = link.Apply(work!);
            if (_retained != lease.Hosted)
            {
                // The first open, or the host opened the document again (its earlier copy was fenced and closed): the
                // grain keeps the copy its links now use open, and lets go of the closed one.
                HostedDocument? closed = _retained;
                _retained = _host.Retain(lease);
                if (closed is not null)
                {
                    _host.Release(closed);
                }
            }

            if (link.HasDocument(_documentId))
            {
                _links[open.Connection] = new GrainLink(link, observer, Stopwatch.GetTimestamp());
            }

            return replies;
        }).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    public async Task<RelayReply> ReceiveAsync(Guid connection, byte[] frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!_links.TryGetValue(connection, out GrainLink? link))
        {
            return RelayReply.LinkUnknown;
        }

        if (link.Link.HasClosedDocument(_documentId))
        {
            return ClosedUnder(link, connection); // not reopened just to be refused: the client reopens it after its delay
        }

        return await RunAsync(link.Link, async () =>
        {
            SyncMessage? work = link.Link.Accept(SyncMessageCodec.Decode(frame, Math.Max(frame.Length, SyncProtocol.MinMaxFrameBytes)), out IReadOnlyList<SyncMessage> accepted);
            if (work is null)
            {
                return accepted; // a part of a large entry: gathered on this link
            }

            if (work is TimelineEntriesMessage)
            {
                await _host.WaitForCapacityAsync(_documentId, _host.Stopping).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext); // backpressure on uploads
            }

            using DocumentLease lease = await _host.AcquireAsync(_documentId, _host.Stopping).ConfigureAwait(true);
            return link.Link.Apply(work);
        }, connection).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    public async Task<RelayReply> PollAsync(Guid connection)
    {
        if (!_links.TryGetValue(connection, out GrainLink? link))
        {
            return RelayReply.LinkUnknown;
        }

        if (link.Link.HasClosedDocument(_documentId))
        {
            return ClosedUnder(link, connection);
        }

        return await RunAsync(link.Link, async () =>
        {
            using DocumentLease lease = await _host.AcquireAsync(_documentId, _host.Stopping).ConfigureAwait(true);
            return link.Link.Poll(_documentId);
        }, connection).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    public Task DetachAsync(Guid connection)
    {
        if (_links.TryRemove(connection, out GrainLink? link))
        {
            link.Link.Close();
        }

        return Task.CompletedTask;
    }

    /// <summary>The refusal of a link whose copy of the document was closed or fenced under it; the link goes.</summary>
    private RelayReply ClosedUnder(GrainLink link, Guid connection)
    {
        link.Link.Close();
        _links.TryRemove(new KeyValuePair<Guid, GrainLink>(connection, link));
        return new RelayReply
        {
            Outcome = RelayOutcome.DocumentRefused,
            Frames = [SyncMessageCodec.Encode(WebSocketFrames.ErrorFor(ServerLink.ClosedUnder(_documentId)))],
        };
    }

    /// <summary>Runs a call of <paramref name="link"/>; an error is answered as the single server answers it, and a link it ends is dropped.</summary>
    private async Task<RelayReply> RunAsync(ServerLink link, Func<Task<IReadOnlyList<SyncMessage>>> call, Guid? connection = null)
    {
        _inCall.Add(link);
        try
        {
            return await RunCallAsync(link, call, connection).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        finally
        {
            _inCall.Remove(link);
        }
    }

    private async Task<RelayReply> RunCallAsync(ServerLink link, Func<Task<IReadOnlyList<SyncMessage>>> call, Guid? connection)
    {
        try
        {
            IReadOnlyList<SyncMessage> replies = await call().ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
            return new RelayReply { Outcome = RelayOutcome.Ok, Frames = replies.Select(SyncMessageCodec.Encode).ToArray(), Activation = _activation };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || _host.Stopping.IsCancellationRequested)
        {
            RelayOutcome outcome = RelayErrors.OutcomeOf(ex, _documentId, out SqlSyncException error);
            // A copy fenced under the link (decision 0037) was logged once by the host: not an error per link.
            if (outcome == RelayOutcome.DocumentRefused && error.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode.DocumentFailed && !ServerLink.IsClosedUnder(error))
            {
                _logger.LogError(ex, "Document {DocumentId} failed serving link {LinkId}.", _documentId, link.Id);
            }

            link.Close();
            if (connection is Guid id)
            {
                _links.TryRemove(id, out _);
            }

            return new RelayReply { Outcome = outcome, Frames = [SyncMessageCodec.Encode(WebSocketFrames.ErrorFor(error))] };
        }
    }

    private static async Task CloseOnceUnusedAsync(CoordinatorHost host, string documentId, ILogger logger)
    {
        try
        {
            await host.CloseUnusedAsync(documentId, host.Stopping).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext); // no context here
        }
        catch (OperationCanceledException) when (host.Stopping.IsCancellationRequested)
        {
            // The host closes every document as it stops.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Document {DocumentId}: closing it after its grain deactivated failed; the host closes it once idle.", documentId);
        }
    }

    /// <summary>
    /// Drops the links no connection uses through this activation any more: their connection ended without a detach (its
    /// silo died), was refused or moved, or opened the document on another activation (two existed during a membership
    /// change). Left with no link, the grain deactivates and its host closes the document: a duplicate no longer holds
    /// the document (a directory store's lock) from the activation its clients use (decision 0038).
    /// </summary>
    private async Task CheckLinksAsync(CancellationToken cancellationToken)
    {
        long now = Stopwatch.GetTimestamp();
        KeyValuePair<Guid, GrainLink>[] due = _links
            .Where(p => Stopwatch.GetElapsedTime(p.Value.OpenedAt, now) >= _options.LinkCheckInterval && !_inCall.Contains(p.Value.Link))
            .ToArray();
        bool?[] served;
        try
        {
            served = await Task.WhenAll(due.Select(p => IsServedAsync(p.Value, cancellationToken))).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            return; // the grain deactivates
        }

        var unanswered = new HashSet<ServerLink>();
        for (int i = 0; i < due.Length; i++)
        {
            ServerLink link = due[i].Value.Link;
            if (served[i] is true || _inCall.Contains(link))
            {
                continue;
            }

            // No answer (a busy silo, a pause) drops a link only the second time in a row; "not served" at once.
            if (served[i] is null && !_unansweredLastCheck.Contains(link))
            {
                unanswered.Add(link);
                continue;
            }

            // Only the link that was asked about: the connection may have opened the document here again meanwhile.
            if (_links.TryRemove(due[i]))
            {
                link.Close();
                _logger.LogDebug("Document {DocumentId}: link {LinkId} dropped ({Why}).", _documentId, link.Id,
                    served[i] is null ? "its connection did not answer twice in a row" : "its connection no longer uses this activation");
            }
        }

        _unansweredLastCheck = unanswered;
        if (_links.IsEmpty && _opening == 0 && !cancellationToken.IsCancellationRequested)
        {
            this.DeactivateOnIdle();
        }
    }

    /// <summary>True or false as the connection answers; null when it did not (its silo is gone or busy, or the connection ended).</summary>
    private async Task<bool?> IsServedAsync(GrainLink link, CancellationToken cancellationToken)
    {
        try
        {
            return await link.Observer.IsServedBy(_documentId, _activation).WaitAsync(_options.LinkCheckInterval, cancellationToken)
                .ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private void OnStorageChanged(string documentId)
    {
        if (documentId == _documentId)
        {
            foreach (GrainLink link in _links.Values)
            {
                Signal(link, static (observer, id) => observer.StorageChanged(id));
            }
        }
    }

    /// <summary>A one-way signal to a connection's silo; one that is gone (its silo died) is dropped with its link.</summary>
    private void Signal(GrainLink link, Func<IDocumentObserver, string, Task> signal)
    {
        try
        {
            _ = signal(link.Observer, _documentId);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug(ex, "Document {DocumentId}: a connection's silo could not be signalled.", _documentId);
        }
    }
}
