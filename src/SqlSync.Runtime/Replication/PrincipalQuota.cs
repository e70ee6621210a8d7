namespace SqlSync.Replication;

/// <summary>
/// What one principal has used of its <see cref="QuotaLimits"/> in the current windows (an hour for documents and
/// timelines, a minute for upload bytes). Every link of the principal shares it. Thread-safe; it calls nothing.
/// </summary>
internal sealed class PrincipalQuota
{
    private readonly object _sync = new();
    private readonly TimeProvider _time;
    private Window _documents;
    private Window _timelines;
    private Window _bytes;
    private int _openDocuments;

    internal PrincipalQuota(QuotaLimits limits, TimeProvider time)
    {
        Limits = limits;
        _time = time;
        LastUsedTicks = time.GetUtcNow().UtcTicks;
    }

    /// <summary>The limits this account counts against.</summary>
    public QuotaLimits Limits { get; }

    internal long LastUsedTicks { get; private set; }

    /// <summary>Documents the principal's links have open now (see <see cref="TryOpenDocument"/>).</summary>
    public int OpenDocuments
    {
        get
        {
            lock (_sync) return _openDocuments;
        }
    }

    /// <summary>Counts a document opened on a link; false (nothing counted) when the principal has its maximum open.</summary>
    public bool TryOpenDocument()
    {
        lock (_sync)
        {
            LastUsedTicks = _time.GetUtcNow().UtcTicks;
            if (Limits.OpenDocuments is int limit && _openDocuments >= limit)
            {
                return false;
            }

            _openDocuments++;
            return true;
        }
    }

    /// <summary>A link let go of a document counted by <see cref="TryOpenDocument"/>.</summary>
    public void DocumentClosed()
    {
        lock (_sync)
        {
            LastUsedTicks = _time.GetUtcNow().UtcTicks;
            _openDocuments = Math.Max(0, _openDocuments - 1);
        }
    }

    /// <summary>Counts a document created; false (nothing counted) when the hour's quota is used up.</summary>
    public bool TryCreateDocument() => TryTake(ref _documents, 1, Limits.DocumentsCreatedPerHour, TimeSpan.FromHours(1));

    /// <summary>Counts a timeline claimed; false (nothing counted) when the hour's quota is used up.</summary>
    public bool TryClaimTimeline() => TryTake(ref _timelines, 1, Limits.TimelinesClaimedPerHour, TimeSpan.FromHours(1));

    /// <summary>Counts <paramref name="bytes"/> uploaded; false (nothing counted) when they do not fit the minute's quota.</summary>
    public bool TryUpload(long bytes) => TryTake(ref _bytes, bytes, Limits.UploadBytesPerMinute, TimeSpan.FromMinutes(1));

    private bool TryTake(ref Window window, long amount, long? limit, TimeSpan length)
    {
        lock (_sync)
        {
            long now = _time.GetUtcNow().UtcTicks;
            LastUsedTicks = now;
            if (limit is null)
            {
                return true;
            }

            if (now - window.Start >= length.Ticks)
            {
                window = new Window(now, 0);
            }

            // The first use of a window always fits, so a single message larger than the limit is slowed, not refused forever.
            if (window.Used > 0 && window.Used + amount > limit)
            {
                return false;
            }

            window = window with { Used = window.Used + amount };
            return true;
        }
    }

    private readonly record struct Window(long Start, long Used);
}
