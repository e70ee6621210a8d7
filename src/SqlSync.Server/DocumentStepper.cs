using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;

namespace SqlSync.Server;

/// <summary>
/// Applies one document's received mutations on a background task, a batch per step, and tells the
/// connections when its storage grew. One stepper per document, so steps never run concurrently. A step
/// holds the document's gate (the host's <see cref="SemaphoreSlim"/> that connections await before they
/// call into the document), so a connection waits for a step asynchronously, never on a thread.
/// </summary>
internal sealed class DocumentStepper : IAsyncDisposable
{
    private readonly CoordinatorDocument _document;
    private readonly int _batchSize;
    private readonly SqlSyncMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The document's gate, held while a step runs.</summary>
    private readonly SemaphoreSlim _gate;

    /// <summary>How soon a step that found the document busy (a reader's read transaction) is tried again.</summary>
    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>When the running step started (a Stopwatch timestamp), 0 between steps; read by the watchdog.</summary>
    private long _stepStarted;
    private int _stuck;

    public DocumentStepper(CoordinatorDocument document, SemaphoreSlim gate, int batchSize, SqlSyncMetrics metrics, ILogger logger)
    {
        _document = document;
        _gate = gate;
        _batchSize = batchSize;
        _metrics = metrics;
        _logger = logger;
        _loop = Task.Run(RunAsync);
        _document.Resumed += (_, _) => Signal(); // a document paused by a storage fault reloaded itself
        Signal(); // entries received before a restart are queued already
    }

    /// <summary>Raised after a step published new storage; connections then push it.</summary>
    public event Action<string>? StorageChanged;

    /// <summary>True while a step has run longer than the stuck threshold (set by <see cref="CheckStuck"/>).</summary>
    public bool IsStuck => Volatile.Read(ref _stuck) == 1;

    /// <summary>
    /// The watchdog's check, lock-free (a stuck step holds the document's locks): returns how long the running
    /// step has run when it passed <paramref name="threshold"/> for the first time, otherwise null.
    /// </summary>
    public TimeSpan? CheckStuck(TimeSpan threshold)
    {
        long started = Interlocked.Read(ref _stepStarted);
        if (started == 0)
        {
            return null;
        }

        TimeSpan running = Stopwatch.GetElapsedTime(started);
        if (running < threshold || Interlocked.CompareExchange(ref _stuck, 1, 0) != 0)
        {
            return null;
        }

        return running;
    }

    /// <summary>
    /// Set when a step failed: the document's state is no longer trusted and it stops stepping. A storage fault
    /// (the disk full) is not one: the document pauses, steps return 0 and it resumes by itself (Resumed).
    /// </summary>
    public Exception? Fault { get; private set; }

    public void Signal() => _wake.Writer.TryWrite(true);

    /// <summary>Completes when the loop next finds the queue empty (or the document failed).</summary>
    public Task Drained => Volatile.Read(ref _drained).Task;

    /// <summary>Finishes the step in progress, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _wake.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                while (!_stop.IsCancellationRequested && Fault is null)
                {
                    int applied;
                    await _gate.WaitAsync(_stop.Token).ConfigureAwait(false);
                    try
                    {
                        applied = StepOnce();
                    }
                    finally
                    {
                        _gate.Release();
                    }

                    if (applied == 0)
                    {
                        break;
                    }
                }

                Interlocked.Exchange(ref _drained, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
        finally
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>One step of up to a batch; call holding the gate. Returns how many mutations it applied.</summary>
    private int StepOnce()
    {
        long start = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _stepStarted, start);
        int applied;
        try
        {
            applied = _document.Step(_batchSize);
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.DocumentBusy)
        {
            // A reader held a read transaction past ReaderDrainTimeout: the step changed nothing and the
            // document is fine. Not a fault: try again shortly.
            _logger.LogWarning("Document {DocumentId}: {Message}", _document.DocumentId, ex.Message);
            _ = RetryAfterBusyAsync();
            return 0;
        }
        finally
        {
            Interlocked.Exchange(ref _stepStarted, 0);
            if (Interlocked.Exchange(ref _stuck, 0) == 1)
            {
                _logger.LogWarning("Document {DocumentId}: the stuck step ended after {Seconds:0.#} s.", _document.DocumentId, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }

        if (applied > 0)
        {
            _metrics.StepDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
            _metrics.MutationsApplied.Add(applied, new KeyValuePair<string, object?>("document", _document.DocumentId));
            StorageChanged?.Invoke(_document.DocumentId);
        }

        return applied;
    }

    private async Task RetryAfterBusyAsync()
    {
        try
        {
            await Task.Delay(BusyRetryDelay, _stop.Token).ConfigureAwait(false);
            Signal();
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // stopping
        }
    }

    private void Failed(Exception ex)
    {
        if (Fault is not null)
        {
            return;
        }

        Fault = ex;
        if (ex is SqlSyncException { Code: SqlSyncErrorCode.JournalFenced })
        {
            // Another coordinator took the document over: the host has said so, closes this copy and opens the document
            // again from the store at its next use (decision 0037), so this stepper's end is not a failure to report.
            _logger.LogDebug("Document {DocumentId}: this copy was fenced; its stepper ends.", _document.DocumentId);
        }
        else
        {
            _logger.LogError(ex, "Document {DocumentId}: a step failed; the document stops applying mutations until the server restarts.", _document.DocumentId);
        }

        Interlocked.Exchange(ref _drained, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
