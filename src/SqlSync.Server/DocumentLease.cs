using SqlSync.Documents;

namespace SqlSync.Server;

/// <summary>
/// A document's gate, held: while it lives no step runs, the document cannot be closed, and the holder may
/// call into the document without waiting on a thread. Dispose it as soon as the call returns.
/// </summary>
internal sealed class DocumentLease : IDisposable
{
    private CoordinatorHost? _host;

    public DocumentLease(CoordinatorHost host, HostedDocument hosted)
    {
        _host = host;
        Hosted = hosted;
    }

    public HostedDocument Hosted { get; }

    public CoordinatorDocument Document => Hosted.Document!;

    public DocumentStepper Stepper => Hosted.Stepper!;

    public void Dispose() => Interlocked.Exchange(ref _host, null)?.Return(Hosted);
}
