using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>
/// Opens a coordinator per document on first use (file journals under the data directory), runs its
/// stepper, and on shutdown finishes the steps in progress and closes every document.
/// </summary>
internal sealed class CoordinatorHost : ICoordinatorProvider, IHostedService, IAsyncDisposable
{
    private readonly SqlSyncServerOptions _options;
    private readonly ILogger<CoordinatorHost> _logger;
    private readonly ConcurrentDictionary<string, Lazy<HostedDocument>> _documents = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly CancellationTokenRegistration _applicationStopping;
    private readonly Timer _watchdog;
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
        _logger = logger;
        Metrics = new SqlSyncMetrics(meterFactory, QueuedMutations, StuckDocuments);
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.StuckStepThreshold.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _watchdog = new Timer(_ => CheckStuck(), null, period, period);
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

    public CoordinatorDocument GetDocument(string documentId) => Hosted(documentId).Document;

    public void OnTimelineReceived(string documentId) => Hosted(documentId).Stepper.StepNowOrSignal();

    public bool Exists(string documentId) =>
        _documents.ContainsKey(documentId) || Directory.Exists(Path.Combine(_options.DataDirectory, documentId, "storage"));

    /// <summary>Waits while the document has too many unapplied mutations.</summary>
    public Task WaitForCapacityAsync(string documentId, CancellationToken cancellationToken) =>
        Hosted(documentId).Stepper.WaitForCapacityAsync(_options.MaxQueuedMutations, cancellationToken);

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
        await _applicationStopping.DisposeAsync().ConfigureAwait(false);
        foreach (Lazy<HostedDocument> entry in _documents.Values)
        {
            if (!entry.IsValueCreated)
            {
                continue;
            }

            HostedDocument hosted = entry.Value;
            await hosted.Stepper.DisposeAsync().ConfigureAwait(false);
            hosted.Document.Dispose();
        }

        _documents.Clear();
        Metrics.Dispose();
        _stopping.Dispose();
        _logger.LogInformation("SqlSync coordinators stopped.");
    }

    private HostedDocument Hosted(string documentId)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw new SqlSyncException(SqlSyncErrorCode.DocumentClosed, "The server is stopping.");
        }

        Lazy<HostedDocument> entry = _documents.GetOrAdd(documentId, id => new Lazy<HostedDocument>(() => Open(id)));
        try
        {
            return entry.Value;
        }
        catch
        {
            _documents.TryRemove(new KeyValuePair<string, Lazy<HostedDocument>>(documentId, entry));
            throw;
        }
    }

    private HostedDocument Open(string documentId)
    {
        var document = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = documentId,
            Reducer = _options.ReducerFor!(documentId),
            Directory = Path.Combine(_options.DataDirectory, documentId),
            FsyncOnAppend = _options.FsyncOnAppend,
            Limits = _options.Limits,
            Warning = message => _logger.LogWarning("{Warning}", message),
            StorageRetryMinDelay = _options.StorageRetryMinDelay,
            StorageRetryMaxDelay = _options.StorageRetryMaxDelay,
        });
        DocumentStepper stepper;
        try
        {
            stepper = new DocumentStepper(document, _options.StepBatchSize, Metrics, _logger);
        }
        catch
        {
            document.Dispose();
            throw;
        }

        stepper.StorageChanged += id => StorageChanged?.Invoke(id);
        _logger.LogInformation("Document {DocumentId} opened: storage {StorageRange}, {Queued} mutation(s) queued.",
            documentId, document.StorageRange, document.QueuedMutationCount);
        return new HostedDocument(document, stepper);
    }

    /// <summary>
    /// The watchdog: a step running past the threshold is logged, counted and told to the document's
    /// connections. It reads the steppers lock-free, so a stuck document cannot stop it.
    /// </summary>
    private void CheckStuck()
    {
        foreach ((string id, Lazy<HostedDocument> entry) in _documents)
        {
            if (entry.IsValueCreated && entry.Value.Stepper.CheckStuck(_options.StuckStepThreshold) is TimeSpan running)
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
        foreach ((string id, Lazy<HostedDocument> entry) in _documents)
        {
            if (entry.IsValueCreated)
            {
                yield return new Measurement<long>(entry.Value.Stepper.IsStuck ? 1 : 0, new KeyValuePair<string, object?>("document", id));
            }
        }
    }

    private IEnumerable<Measurement<long>> QueuedMutations()
    {
        foreach ((string id, Lazy<HostedDocument> entry) in _documents)
        {
            if (entry.IsValueCreated && !entry.Value.Stepper.IsStuck) // a stuck step holds the document's lock
            {
                yield return new Measurement<long>(entry.Value.Document.QueuedMutationCount, new KeyValuePair<string, object?>("document", id));
            }
        }
    }

    private sealed record HostedDocument(CoordinatorDocument Document, DocumentStepper Stepper);
}
