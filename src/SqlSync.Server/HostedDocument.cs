using SqlSync.Documents;

namespace SqlSync.Server;

/// <summary>
/// One document as the host holds it: opened once in the background, its gate, and who uses it. The host
/// closes it when nobody does (docs/architecture.md, "Document lifecycle").
/// </summary>
internal sealed class HostedDocument
{
    public HostedDocument(string documentId, bool existed, long now)
    {
        DocumentId = documentId;
        Existed = existed;
        LastUsed = now;
    }

    public string DocumentId { get; }

    /// <summary>True when the document was on disk before this open (false: this open creates it).</summary>
    public bool Existed { get; }

    /// <summary>
    /// Held by a step and by a connection while it calls into the document. Connections await it
    /// (<see cref="SemaphoreSlim.WaitAsync(CancellationToken)"/>), so a busy document costs them no thread.
    /// </summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Completes when <see cref="Document"/> and <see cref="Stepper"/> are set; faults when the open failed.</summary>
    public Task Opening { get; set; } = Task.CompletedTask;

    public CoordinatorDocument? Document { get; set; }

    public DocumentStepper? Stepper { get; set; }

    /// <summary>Links that have the document open plus leases held or awaited; guarded by the host's lock.</summary>
    public int Users { get; set; }

    /// <summary>Callers waiting on <see cref="Gate"/> now.</summary>
    public int Waiting;

    /// <summary>
    /// Set when the document was fenced (decision 0037): open, it is taken out of the open documents, and a caller that
    /// gets its gate afterwards lets go and opens the current copy; fenced while opening, the fence was told. Guarded by
    /// the host's lock.
    /// </summary>
    public bool Evicted { get; set; }

    /// <summary>When the last user let go (a Stopwatch timestamp); guarded by the host's lock.</summary>
    public long LastUsed { get; set; }
}
