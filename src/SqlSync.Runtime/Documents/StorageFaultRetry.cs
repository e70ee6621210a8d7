namespace SqlSync.Documents;

/// <summary>
/// Resumes a paused <see cref="CoordinatorDocument"/>: after a delay that doubles with each fault in a row (from
/// the minimum up to the maximum), it reloads the document; a reload that fails is tried again later. A reload
/// needs no free space, so it usually succeeds at once: a disk still full then fails the next write, which
/// pauses the document again with a longer delay, until a write succeeds and the count of faults starts over.
/// </summary>
internal sealed class StorageFaultRetry : IDisposable
{
    private readonly CoordinatorDocument _document;
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Timer _timer;
    private int _failedReloads;
    private bool _disposed;

    public StorageFaultRetry(CoordinatorDocument document, TimeSpan min, TimeSpan max)
    {
        _document = document;
        _min = min;
        _max = max;
        _timer = new Timer(_ => Run());
    }

    /// <summary>Checks the delays before anything is opened.</summary>
    public static void Validate(TimeSpan min, TimeSpan max)
    {
        if (min <= TimeSpan.Zero || max < min)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"The storage retry delays must be positive with the minimum ({min}) not above the maximum ({max}).");
        }
    }

    /// <summary>Arms the retry after the current backoff.</summary>
    public void Schedule()
    {
        lock (_timer)
        {
            if (!_disposed)
            {
                _timer.Change(Delay(_document.ConsecutiveStorageFaults + _failedReloads), Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        lock (_timer)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    /// <summary>The delay before retry number <paramref name="attempt"/> (1 for the first fault).</summary>
    internal TimeSpan Delay(int attempt)
    {
        double factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(_max.Ticks, _min.Ticks * factor));
    }

    private void Run()
    {
        try
        {
            if (_document.TryResume(out _))
            {
                _failedReloads = 0;
                return;
            }
        }
        catch (Exception e)
        {
            // A timer callback that throws ends the process: a bug in a reload must cost this document, not the server.
            _document.ReportResumeFailure(e);
        }

        _failedReloads++;
        Schedule();
    }
}
