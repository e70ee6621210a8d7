using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;

namespace SqlSync.Server;

/// <summary>
/// Applies one document's received mutations on a background task, a batch per step, and tells the
/// connections when its storage grew. One stepper per document, so steps never run concurrently.
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

    /// <summary>Held while a step runs, by the background loop or by a caller of <see cref="StepNowOrSignal"/>.</summary>
    private readonly object _stepGate = new();

    /// <summary>How soon a step that found the document busy (a reader's read transaction) is tried again.</summary>
    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(100);

    // Stopwatch timestamps and the last step's duration in Stopwatch ticks: what StepNowOrSignal judges load by.
    private long _lastStepEnded;
    private long _lastStepTicks;
    private long _lastArrival;

    /// <summary>When the running step started (a Stopwatch timestamp), 0 between steps; read by the watchdog.</summary>
    private long _stepStarted;
    private int _stuck;

    public DocumentStepper(CoordinatorDocument document, int batchSize, SqlSyncMetrics metrics, ILogger logger)
    {
        _document = document;
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

    /// <summary>
    /// Steps once on the calling thread when the document is lightly loaded (an upload is applied without a
    /// thread hop, and the step's storage entry makes it durable); otherwise, or when more is queued, wakes
    /// the background loop. Lightly loaded: the previous upload came at least two step-times ago and no step
    /// ran since. Under load uploads come closer together, and leaving them to the loop lets them gather into
    /// one step (one storage entry for every client to download) instead of a small step per upload.
    /// </summary>
    public void StepNowOrSignal()
    {
        long now = Stopwatch.GetTimestamp();
        long previousArrival = Interlocked.Exchange(ref _lastArrival, now);
        long stepTicks = Interlocked.Read(ref _lastStepTicks);
        bool idle = now - previousArrival >= 2 * stepTicks && now - Interlocked.Read(ref _lastStepEnded) >= stepTicks;
        if (idle && Fault is null && !_stop.IsCancellationRequested && Monitor.TryEnter(_stepGate))
        {
            try
            {
                if (_stop.IsCancellationRequested)
                {
                    return; // stopping: the document is about to close
                }

                StepOnce();
            }
            catch (Exception ex)
            {
                Failed(ex);
                return;
            }
            finally
            {
                Monitor.Exit(_stepGate);
            }

            if (_document.QueuedMutationCount == 0)
            {
                return;
            }
        }

        Signal();
    }

    /// <summary>Waits until the queue is at most <paramref name="maxQueued"/> (backpressure on uploads).</summary>
    public async Task WaitForCapacityAsync(int maxQueued, CancellationToken cancellationToken)
    {
        while (_document.QueuedMutationCount > maxQueued && Fault is null && !_document.IsPaused)
        {
            Task drained = Volatile.Read(ref _drained).Task;
            Signal();
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Finishes the step in progress, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _wake.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        lock (_stepGate)
        {
            // Waits for a step a connection runs (StepNowOrSignal) to finish; none starts after the cancel.
        }

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
                    lock (_stepGate)
                    {
                        applied = StepOnce();
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

    /// <summary>One step of up to a batch; call holding the step gate. Returns how many mutations it applied.</summary>
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
            long end = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref _lastStepTicks, end - start);
            Interlocked.Exchange(ref _lastStepEnded, end);
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
        _logger.LogError(ex, "Document {DocumentId}: a step failed; the document stops applying mutations until the server restarts.", _document.DocumentId);
        Interlocked.Exchange(ref _drained, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
