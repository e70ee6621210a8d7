using Microsoft.Extensions.Logging;

namespace Cluster;

/// <summary>
/// A silo's log as one line per event on standard output, which the orchestrator reads: it shows them with
/// <c>--verbose</c> or when the run fails, and learns from the coordinator host's lines where each document is open.
/// </summary>
internal sealed class SiloLogProvider : ILoggerProvider
{
    private readonly string _silo;

    public SiloLogProvider(string silo) => _silo = silo;

    public ILogger CreateLogger(string categoryName) => new SiloLogger(_silo, categoryName);

    public void Dispose()
    {
    }
}
