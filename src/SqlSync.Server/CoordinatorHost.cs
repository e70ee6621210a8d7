using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>
/// Opens a coordinator per document on first use (file journals under the data directory, off the request
/// thread), runs its stepper, closes it when no link has it open and it has no queued work for
/// <see cref="SqlSyncServerOptions.DocumentIdleTimeout"/> or when <see cref="SqlSyncServerOptions.MaxOpenDocuments"/>
/// needs room (least recently used first), and on shutdown finishes the steps in progress and closes every
/// document. Lock order: a document's gate, then the host's lock (never awaited under), then the document.
/// </summary>
internal sealed partial class CoordinatorHost : ICoordinatorProvider, IHostedService, IAsyncDisposable
{
    private readonly SqlSyncServerOptions _options;
    private readonly ILogger<CoordinatorHost> _logger;

    /// <summary>Guards the documents, closes in progress, the ids on disk and each entry's users.</summary>
    private readonly object _lifecycle = new();

    // Keyed ignoring case: ids that differ only in case are refused (one would overwrite the other's files on
    // Windows and macOS); the entry's own id is the one that was opened.
    private readonly Dictionary<string, HostedDocument> _documents = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Closes in progress, by id: an open of the same id waits for its files to be let go.</summary>
    private readonly Dictionary<string, Task> _closing = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The ids of documents on disk, ignoring case (listed at the first open), to their spelling there.</summary>
    private Dictionary<string, string>? _onDisk;
    private readonly string _dataRoot;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly CancellationTokenRegistration _applicationStopping;
    private readonly Timer _watchdog;
    private readonly Timer _sweeper;
    private int _disposed;

    public CoordinatorHost(IOptions<SqlSyncServerOptions> options, ILogger<CoordinatorHost> logger, IMeterFactory meterFactory,
        IHostApplicationLifetime? lifetime = null)
    {
        _options = options.Value;
        _stoppingToken = _stopping.Token;
        if (_options.ReducerFor is null)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "AddSqlSync needs a reducer: set options.ReducerFor or call options.UseReducer(...).");
        }

        _options.Replication.Validate();
        _options.Presence.Validate(); // at start, not at the first connection
        if (_options.MaxOpenDocuments < 1 || _options.DocumentIdleTimeout <= TimeSpan.Zero && _options.DocumentIdleTimeout != Timeout.InfiniteTimeSpan
            || _options.ReleaseMemoryAfterClosing < 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "MaxOpenDocuments and ReleaseMemoryAfterClosing must be at least 1 and DocumentIdleTimeout positive (or infinite).");
        }

        _dataRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(_options.DataDirectory)) + Path.DirectorySeparatorChar;
        _logger = logger;
        Metrics = new SqlSyncMetrics(meterFactory, QueuedMutations, StuckDocuments);
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.StuckStepThreshold.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _watchdog = new Timer(_ => CheckStuck(), null, period, period);
        TimeSpan sweep = _options.DocumentIdleTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan
            : TimeSpan.FromTicks(Math.Clamp(_options.DocumentIdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(15).Ticks));
        _sweeper = new Timer(_ => CloseIdle(), null, sweep, sweep);
        Server = new ReplicationServer(this, _options.Replication);

        // The web server stops before this hosted service and waits for open requests; WebSocket connections
        // end only when Stopping fires, so fire it as soon as the application begins to stop.
        _applicationStopping = lifetime?.ApplicationStopping.Register(() => _stopping.Cancel()) ?? default;
    }

    /// <summary>Raised after a document's storage grew.</summary>
    public event Action<string>? StorageChanged;

    /// <summary>Raised (on the watchdog's thread) when a document's step has run longer than the threshold: id, message.</summary>
    public event Action<string, string>? DocumentStuck;

    public ReplicationServer Server { get; }

    public SqlSyncMetrics Metrics { get; }

    public SqlSyncServerOptions Options => _options;

    /// <summary>Cancelled when the host begins to stop: connections close.</summary>
    public CancellationToken Stopping => _stoppingToken; // kept: it stays readable after the source is disposed

    /// <summary>Documents open now.</summary>
    public int OpenDocumentCount
    {
        get
        {
            lock (_lifecycle) return _documents.Values.Count(d => d.Opening.IsCompletedSuccessfully);
        }
    }

    /// <summary>True when <paramref name="documentId"/> is open now (closed ones reopen on their next open).</summary>
    public bool IsOpen(string documentId)
    {
        lock (_lifecycle)
        {
            return _documents.TryGetValue(documentId, out HostedDocument? hosted) && hosted.DocumentId == documentId && hosted.Opening.IsCompletedSuccessfully;
        }
    }

    /// <summary>How many callers wait on the gate of <paramref name="documentId"/> now (for tests and diagnostics).</summary>
    public int WaitingOn(string documentId) => Find(documentId) is HostedDocument hosted ? Volatile.Read(ref hosted.Waiting) : 0;

    /// <summary>
    /// The open coordinator of <paramref name="documentId"/>. Links call it holding a lease, when the document is
    /// open; anyone else (tests, tools) gets it opened, but may find it closed later if it stays idle.
    /// </summary>
    public CoordinatorDocument GetDocument(string documentId)
    {
        lock (_lifecycle)
        {
            if (_documents.TryGetValue(documentId, out HostedDocument? hosted) && hosted.DocumentId == documentId && hosted.Opening.IsCompletedSuccessfully)
            {
                return hosted.Document!;
            }
        }

        using DocumentLease lease = AcquireAsync(documentId, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return lease.Document;
    }

    public void OnTimelineReceived(string documentId) => Find(documentId)?.Stepper?.Signal();

    public bool Exists(string documentId)
    {
        lock (_lifecycle)
        {
            if (_documents.TryGetValue(documentId, out HostedDocument? hosted) && hosted.DocumentId == documentId
                || OnDisk().TryGetValue(documentId, out string? onDisk) && onDisk == documentId
                || Directory.Exists(Path.Combine(_dataRoot, documentId))) // created since the listing by another host on this directory (a cluster)
            {
                return true;
            }
        }

        return ExistsInStore(documentId);
    }

    /// <summary>
    /// Opens <paramref name="documentId"/> if it is not open (in the background: a connection awaits it), then
    /// awaits its gate. While the lease lives no step runs and the document stays open. A failed open leaves
    /// nothing held and throws a <see cref="SqlSyncErrorCode.Protocol"/> exception with a per-document code
    /// (<see cref="ProtocolErrorCode.DocumentFailed"/> or <see cref="ProtocolErrorCode.TooManyDocuments"/>).
    /// </summary>
    public async ValueTask<DocumentLease> AcquireAsync(string documentId, CancellationToken cancellationToken) =>
        (await AcquireAsync(documentId, wait: true, cancellationToken).ConfigureAwait(false))!;

    /// <summary>
    /// <see cref="AcquireAsync(string, CancellationToken)"/>; without <paramref name="wait"/>, null at once when
    /// the gate is held (a step runs, or another connection calls into the document). The open is awaited.
    /// </summary>
    public async ValueTask<DocumentLease?> AcquireAsync(string documentId, bool wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            DocumentLease? lease = await TryAcquireAsync(documentId, wait, cancellationToken).ConfigureAwait(false);
            if (lease is null || !IsEvicted(lease.Hosted))
            {
                return lease;
            }

            // Fenced while this caller waited for its gate: that copy is closed, and the next Reserve opens the current one.
            lease.Dispose();
        }
    }

    private async ValueTask<DocumentLease?> TryAcquireAsync(string documentId, bool wait, CancellationToken cancellationToken)
    {
        HostedDocument hosted = Reserve(documentId);
        try
        {
            try
            {
                await hosted.Opening.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw OpenFailed(hosted, ex);
            }

            if (wait)
            {
                Interlocked.Increment(ref hosted.Waiting);
                try
                {
                    await hosted.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref hosted.Waiting);
                }
            }
            else if (!hosted.Gate.Wait(0, CancellationToken.None))
            {
                Unreserve(hosted);
                return null;
            }
        }
        catch
        {
            Unreserve(hosted);
            throw;
        }

        return new DocumentLease(this, hosted);
    }

    /// <summary>A link has the document of <paramref name="lease"/> open: it stays open until <see cref="Release"/>.</summary>
    public HostedDocument Retain(DocumentLease lease)
    {
        lock (_lifecycle)
        {
            lease.Hosted.Users++;
        }

        return lease.Hosted;
    }

    /// <summary>A link let go of a document it had open (it closed, or the document failed on it).</summary>
    public void Release(HostedDocument hosted)
    {
        lock (_lifecycle)
        {
            hosted.Users--;
            hosted.LastUsed = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A lease ends: the gate is released and the document may be closed once idle.</summary>
    internal void Return(HostedDocument hosted)
    {
        hosted.Gate.Release();
        Release(hosted);
    }

    /// <summary>
    /// Waits, holding no gate, while the document has too many unapplied mutations (backpressure on uploads);
    /// returns at once when it is not open.
    /// </summary>
    public async Task WaitForCapacityAsync(string documentId, CancellationToken cancellationToken)
    {
        while (Find(documentId) is not null)
        {
            Task drained;
            using (DocumentLease lease = await AcquireAsync(documentId, cancellationToken).ConfigureAwait(false))
            {
                if (HasCapacity(lease))
                {
                    return;
                }

                drained = lease.Stepper.Drained;
                lease.Stepper.Signal();
            }

            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when the document of <paramref name="lease"/> may take more uploads now (see <see cref="WaitForCapacityAsync"/>).</summary>
    public bool HasCapacity(DocumentLease lease) =>
        lease.Document.QueuedMutationCount <= _options.MaxQueuedMutations || lease.Stepper.Fault is not null || lease.Document.IsPaused;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.DataDirectory);
        if (_options.JournalStores is { } stores)
        {
            _logger.LogInformation("SqlSync coordinators keep their journals in {Store}, and caches under {DataDirectory}.", stores.Describe(), Path.GetFullPath(_options.DataDirectory));
        }
        else
        {
            _logger.LogInformation("SqlSync coordinators keep their journals under {DataDirectory}.", Path.GetFullPath(_options.DataDirectory));
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watchdog.DisposeAsync().ConfigureAwait(false);
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        await _applicationStopping.DisposeAsync().ConfigureAwait(false);
        List<HostedDocument> documents;
        List<Task> closing;
        lock (_lifecycle)
        {
            documents = _documents.Values.ToList();
            closing = _closing.Values.ToList();
            _documents.Clear();
        }

        foreach (HostedDocument hosted in documents)
        {
            try
            {
                await hosted.Opening.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogDebug(ex, "Document {DocumentId} had failed to open.", hosted.DocumentId);
                continue;
            }

            await CloseAsync(hosted, "the server stops").ConfigureAwait(false);
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
        Metrics.Dispose();
        _stopping.Dispose();
        _logger.LogInformation("SqlSync coordinators stopped.");
    }

    private HostedDocument? Find(string documentId)
    {
        lock (_lifecycle)
        {
            return _documents.TryGetValue(documentId, out HostedDocument? hosted) && hosted.DocumentId == documentId ? hosted : null;
        }
    }

    /// <summary>
    /// The watchdog: a step running past the threshold is logged, counted and told to the document's
    /// connections. It reads the steppers lock-free, so a stuck document cannot stop it.
    /// </summary>
    private void CheckStuck()
    {
        foreach (HostedDocument hosted in OpenDocuments())
        {
            string id = hosted.DocumentId;
            if (hosted.Stepper!.CheckStuck(_options.StuckStepThreshold) is TimeSpan running)
            {
                Metrics.StuckSteps.Add(1, new KeyValuePair<string, object?>("document", id));
                _logger.LogError("Document {DocumentId} is stuck: a step has run for {Seconds:0.#} s (threshold {Threshold:0.#} s); a reducer may loop in its own code. Other documents are served; restart the server to recover (an entry in flight at two stops in a row is rejected).",
                    id, running.TotalSeconds, _options.StuckStepThreshold.TotalSeconds);
                DocumentStuck?.Invoke(id, $"Document '{id}' is stuck: the server's step has run for {running.TotalSeconds:0.#} s; its storage waits until the step ends or the server restarts.");
            }
        }
    }

    private IEnumerable<Measurement<long>> StuckDocuments()
    {
        foreach (HostedDocument hosted in OpenDocuments())
        {
            yield return new Measurement<long>(hosted.Stepper!.IsStuck ? 1 : 0, new KeyValuePair<string, object?>("document", hosted.DocumentId));
        }
    }

    private IEnumerable<Measurement<long>> QueuedMutations()
    {
        var measurements = new List<Measurement<long>>();
        foreach (HostedDocument hosted in OpenDocuments())
        {
            if (hosted.Gate.Wait(0)) // a running step holds the gate: skip the document rather than wait for it
            {
                try
                {
                    measurements.Add(new Measurement<long>(hosted.Document!.QueuedMutationCount, new KeyValuePair<string, object?>("document", hosted.DocumentId)));
                }
                finally
                {
                    hosted.Gate.Release();
                }
            }
        }

        return measurements;
    }

    /// <summary>A snapshot of the documents open now.</summary>
    private List<HostedDocument> OpenDocuments()
    {
        lock (_lifecycle)
        {
            return _documents.Values.Where(d => d.Opening.IsCompletedSuccessfully).ToList();
        }
    }
}
