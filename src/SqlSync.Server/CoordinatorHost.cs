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
internal sealed class CoordinatorHost : ICoordinatorProvider, IHostedService, IAsyncDisposable
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
        if (_options.MaxOpenDocuments < 1 || _options.DocumentIdleTimeout <= TimeSpan.Zero && _options.DocumentIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "MaxOpenDocuments must be at least 1 and DocumentIdleTimeout positive (or infinite).");
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
            return _documents.TryGetValue(documentId, out HostedDocument? hosted) && hosted.DocumentId == documentId
                || OnDisk().TryGetValue(documentId, out string? onDisk) && onDisk == documentId;
        }
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
        HostedDocument hosted = Reserve(documentId);
        try
        {
            try
            {
                await hosted.Opening.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw OpenFailed(documentId, ex);
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
        _logger.LogInformation("SqlSync coordinators keep their journals under {DataDirectory}.", Path.GetFullPath(_options.DataDirectory));
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

    /// <summary>Counts a user of <paramref name="documentId"/>, opening it (in the background) if it is not open.</summary>
    private HostedDocument Reserve(string documentId)
    {
        lock (_lifecycle)
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                throw new SqlSyncException(SqlSyncErrorCode.DocumentClosed, "The server is stopping.");
            }

            long now = Stopwatch.GetTimestamp();
            if (_documents.TryGetValue(documentId, out HostedDocument? hosted))
            {
                if (hosted.DocumentId != documentId)
                {
                    throw CaseVariant(documentId, hosted.DocumentId);
                }

                hosted.Users++;
                hosted.LastUsed = now;
                return hosted;
            }

            bool existed = OnDisk().TryGetValue(documentId, out string? onDisk);
            if (existed && onDisk != documentId)
            {
                throw CaseVariant(documentId, onDisk!);
            }

            string directory = DirectoryOf(documentId);
            if (_documents.Count >= _options.MaxOpenDocuments && !CloseLeastRecentlyUsed())
            {
                Metrics.DocumentsRefused.Add(1);
                throw DocumentErrors.Create(ProtocolErrorCode.TooManyDocuments, documentId,
                    $"the server has its maximum of {_options.MaxOpenDocuments} documents open, all in use; try again later");
            }

            hosted = new HostedDocument(documentId, existed, now) { Users = 1 };
            Task previous = _closing.TryGetValue(documentId, out Task? close) ? close : Task.CompletedTask;
            hosted.Opening = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false); // the same id closing: its files must be let go first
                Open(hosted, directory);
            });
            _documents.Add(documentId, hosted);
            return hosted;
        }
    }

    private void Unreserve(HostedDocument hosted)
    {
        lock (_lifecycle)
        {
            hosted.Users--;
            hosted.LastUsed = Stopwatch.GetTimestamp();
            if (hosted.Users == 0 && hosted.Opening.IsFaulted
                && _documents.TryGetValue(hosted.DocumentId, out HostedDocument? current) && current == hosted)
            {
                _documents.Remove(hosted.DocumentId); // a failed open leaves nothing held; the next open tries again
            }
        }
    }

    /// <summary>The document's directory, checked to be inside the data directory (ids are validated too).</summary>
    private string DirectoryOf(string documentId)
    {
        string directory = Path.GetFullPath(Path.Combine(_dataRoot, documentId));
        if (!directory.StartsWith(_dataRoot, StringComparison.Ordinal) || directory.Length == _dataRoot.Length)
        {
            throw DocumentErrors.Create(ProtocolErrorCode.UnknownDocument, documentId, "the id does not name a directory inside the data directory");
        }

        return directory;
    }

    /// <summary>The documents on disk, listed once (under the host's lock) and kept up to date by opens.</summary>
    private Dictionary<string, string> OnDisk()
    {
        if (_onDisk is null)
        {
            _onDisk = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (Directory.Exists(_dataRoot))
            {
                foreach (string path in Directory.EnumerateDirectories(_dataRoot))
                {
                    string name = Path.GetFileName(path);
                    _onDisk.TryAdd(name, name);
                }
            }
        }

        return _onDisk;
    }

    private void Open(HostedDocument hosted, string directory)
    {
        string documentId = hosted.DocumentId;
        var document = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = documentId,
            Reducer = _options.ReducerFor!(documentId),
            Directory = directory,
            FsyncOnAppend = _options.FsyncOnAppend,
            Limits = _options.Limits,
            Warning = message => _logger.LogWarning("{Warning}", message),
            StorageRetryMinDelay = _options.StorageRetryMinDelay,
            StorageRetryMaxDelay = _options.StorageRetryMaxDelay,
        });
        DocumentStepper stepper;
        try
        {
            stepper = new DocumentStepper(document, hosted.Gate, _options.StepBatchSize, Metrics, _logger);
        }
        catch
        {
            document.Dispose();
            throw;
        }

        stepper.StorageChanged += id => StorageChanged?.Invoke(id);
        hosted.Document = document;
        hosted.Stepper = stepper;
        lock (_lifecycle)
        {
            OnDisk()[documentId] = documentId;
        }

        Metrics.OpenDocuments.Add(1);
        Metrics.DocumentsOpened.Add(1);
        _logger.LogDebug("Document {DocumentId} opened: storage {StorageRange}, {Queued} mutation(s) queued.",
            documentId, document.StorageRange, document.QueuedMutationCount);
    }

    /// <summary>The sweeper: closes documents nobody used for the idle timeout.</summary>
    private void CloseIdle()
    {
        lock (_lifecycle)
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                return;
            }

            foreach (HostedDocument hosted in _documents.Values.ToList())
            {
                if (hosted.Users == 0 && hosted.Opening.IsCompletedSuccessfully
                    && Stopwatch.GetElapsedTime(hosted.LastUsed) >= _options.DocumentIdleTimeout && TryTakeForClose(hosted))
                {
                    StartClose(hosted, "idle");
                }
            }
        }
    }

    /// <summary>Makes room for one more document: closes the least recently used one nobody uses. Call under the lock.</summary>
    private bool CloseLeastRecentlyUsed()
    {
        foreach (HostedDocument hosted in _documents.Values.Where(d => d.Users == 0 && d.Opening.IsCompletedSuccessfully).OrderBy(d => d.LastUsed).ToList())
        {
            if (TryTakeForClose(hosted))
            {
                StartClose(hosted, "least recently used, to make room");
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Takes the gate of a document nobody uses, for good, unless a step runs or mutations are queued (a faulted
    /// document closes anyway: reopening is its retry). Call under the lock.
    /// </summary>
    private static bool TryTakeForClose(HostedDocument hosted)
    {
        if (!hosted.Gate.Wait(0))
        {
            return false;
        }

        if (hosted.Stepper!.Fault is null && hosted.Document!.QueuedMutationCount > 0)
        {
            hosted.Gate.Release();
            return false;
        }

        return true;
    }

    /// <summary>Removes a document taken for close and closes it in the background. Call under the lock.</summary>
    private void StartClose(HostedDocument hosted, string why)
    {
        _documents.Remove(hosted.DocumentId);
        Task close = Task.Run(() => CloseAsync(hosted, why));
        _closing[hosted.DocumentId] = close;
        _ = close.ContinueWith(_ =>
        {
            lock (_lifecycle)
            {
                if (_closing.TryGetValue(hosted.DocumentId, out Task? current) && current == close)
                {
                    _closing.Remove(hosted.DocumentId);
                }
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task CloseAsync(HostedDocument hosted, string why)
    {
        try
        {
            await hosted.Stepper!.DisposeAsync().ConfigureAwait(false);
            hosted.Document!.Dispose();
            Server.DocumentClosed(hosted.Document);
            Metrics.OpenDocuments.Add(-1);
            Metrics.DocumentsClosed.Add(1);
            _logger.LogDebug("Document {DocumentId} closed ({Why}).", hosted.DocumentId, why);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Document {DocumentId} failed to close ({Why}).", hosted.DocumentId, why);
        }
    }

    private SqlSyncException OpenFailed(string documentId, Exception ex)
    {
        if (ex is SqlSyncException { Code: SqlSyncErrorCode.Protocol } protocol)
        {
            return protocol;
        }

        _logger.LogError(ex, "Document {DocumentId} could not be opened; its clients are told, other documents are served.", documentId);
        string code = ex is SqlSyncException failure ? failure.Code.ToString() : ex.GetType().Name;
        return DocumentErrors.Create(ProtocolErrorCode.DocumentFailed, documentId, $"the server could not open it ({code}: {ex.Message}); other documents are served"); // ErrorFor strips paths
    }

    private static SqlSyncException CaseVariant(string documentId, string existing) =>
        DocumentErrors.Create(ProtocolErrorCode.DocumentFailed, documentId, $"the id differs only in case from the existing document '{existing}'");

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
