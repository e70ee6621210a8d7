using System.Diagnostics.Metrics;

namespace SqlSync.Server;

/// <summary>The server's instruments, on the meter <c>SqlSync.Server</c>.</summary>
internal sealed class SqlSyncMetrics : IDisposable
{
    public const string MeterName = "SqlSync.Server";

    private readonly Meter _meter;

    public SqlSyncMetrics(IMeterFactory meterFactory, Func<IEnumerable<Measurement<long>>> queuedMutations, Func<IEnumerable<Measurement<long>>> stuckDocuments)
    {
        _meter = meterFactory.Create(MeterName);
        MutationsApplied = _meter.CreateCounter<long>("sqlsync.mutations.applied", "{mutation}", "Mutations applied by coordinators (rejected ones included).");
        BytesReceived = _meter.CreateCounter<long>("sqlsync.bytes.received", "By", "Frame bytes received from clients.");
        BytesSent = _meter.CreateCounter<long>("sqlsync.bytes.sent", "By", "Frame bytes sent to clients.");
        Connections = _meter.CreateUpDownCounter<long>("sqlsync.connections", "{connection}", "Connected clients.");
        ProtocolErrors = _meter.CreateCounter<long>("sqlsync.protocol.errors", "{error}", "Links closed for a protocol error.");
        _meter.CreateObservableGauge("sqlsync.document.queued_mutations", queuedMutations, "{mutation}",
            "Per document: mutations received but not yet applied (how far the coordinator lags).");
        _meter.CreateObservableGauge("sqlsync.document.stuck", stuckDocuments, "{document}",
            "Per document: 1 while a step has run longer than StuckStepThreshold (a reducer may be stuck), else 0.");
        StuckSteps = _meter.CreateCounter<long>("sqlsync.document.stuck_steps", "{step}", "Steps that ran longer than StuckStepThreshold.");
        OpenDocuments = _meter.CreateUpDownCounter<long>("sqlsync.documents.open", "{document}", "Documents open now.");
        DocumentsOpened = _meter.CreateCounter<long>("sqlsync.documents.opened", "{document}", "Documents opened (a reopen after close counts again).");
        DocumentsClosed = _meter.CreateCounter<long>("sqlsync.documents.closed", "{document}", "Documents closed: idle, to make room under MaxOpenDocuments, or at stop.");
        DocumentsRefused = _meter.CreateCounter<long>("sqlsync.documents.refused", "{open}", "Opens refused because MaxOpenDocuments documents were open and all in use.");
        DocumentsFenced = _meter.CreateCounter<long>("sqlsync.documents.fenced", "{document}",
            "Documents closed because another coordinator extended their history in the object store first, or opens refused for it (opened again from the store at their next use).");
        StepDuration = _meter.CreateHistogram<double>("sqlsync.step.duration", "s",
            "How long a coordinator step took, for steps that applied mutations: the server's own share of a round trip.");
        MemoryReleases = _meter.CreateCounter<long>("sqlsync.memory.releases", "{release}",
            "Full collections and native heap trims run after a burst of document closes (ReleaseMemoryAfterClosing).");
    }

    public Counter<long> MutationsApplied { get; }

    public Counter<long> BytesReceived { get; }

    public Counter<long> BytesSent { get; }

    public UpDownCounter<long> Connections { get; }

    public Counter<long> ProtocolErrors { get; }

    public Counter<long> StuckSteps { get; }

    public UpDownCounter<long> OpenDocuments { get; }

    public Counter<long> DocumentsOpened { get; }

    public Counter<long> DocumentsClosed { get; }

    public Counter<long> DocumentsRefused { get; }

    public Counter<long> DocumentsFenced { get; }

    public Counter<long> MemoryReleases { get; }

    public Histogram<double> StepDuration { get; }

    public void Dispose() => _meter.Dispose();
}
