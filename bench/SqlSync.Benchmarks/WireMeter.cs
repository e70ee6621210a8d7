using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SqlSync.Benchmarks;

/// <summary>
/// Listens to the server's meter (<c>SqlSync.Server</c>): frame bytes received and sent, and mutations
/// applied, with the time of every apply so that a mutation's server-side apply can be timestamped.
/// </summary>
internal sealed class WireMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _received, _sent, _applied, _steps, _framesReceived;

    public WireMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "SqlSync.Server" && instrument.Name is "sqlsync.bytes.received" or "sqlsync.bytes.sent" or "sqlsync.mutations.applied")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Called after each step with the total applied so far and the Stopwatch timestamp.</summary>
    public Action<long, long>? Applied { get; set; }

    public long BytesReceived => Interlocked.Read(ref _received);

    public long BytesSent => Interlocked.Read(ref _sent);

    public long MutationsApplied => Interlocked.Read(ref _applied);

    /// <summary>Frames received from clients (the counter is added once per frame).</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Coordinator steps that applied something (one storage entry each).</summary>
    public long Steps => Interlocked.Read(ref _steps);

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "sqlsync.bytes.received":
                Interlocked.Add(ref _received, value);
                Interlocked.Increment(ref _framesReceived);
                break;
            case "sqlsync.bytes.sent":
                Interlocked.Add(ref _sent, value);
                break;
            default:
                Interlocked.Increment(ref _steps);
                long total = Interlocked.Add(ref _applied, value);
                Applied?.Invoke(total, Stopwatch.GetTimestamp());
                break;
        }
    }
}
