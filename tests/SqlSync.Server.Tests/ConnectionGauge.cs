using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace SqlSync.Server.Tests;

/// <summary>The live connections of one test server, from its <c>sqlsync.connections</c> instrument (other servers in the process are ignored).</summary>
internal sealed class ConnectionGauge : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _connections;

    public ConnectionGauge(TestServer server)
    {
        IMeterFactory factory = server.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "sqlsync.connections")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, delta, _, _) => Interlocked.Add(ref _connections, delta));
        _listener.Start();
    }

    /// <summary>Connections opened since this gauge was made, minus those closed.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    public void Dispose() => _listener.Dispose();
}
