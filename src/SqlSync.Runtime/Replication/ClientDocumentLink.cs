using SqlSync.Documents;
using SqlSync.Journals;

namespace SqlSync.Replication;

/// <summary>What a client link knows about one document: the server's cached range and what is in flight.</summary>
internal sealed class ClientDocumentLink
{
    public ClientDocumentLink(LocalDocument document)
    {
        Document = document;
    }

    public LocalDocument Document { get; }

    public bool OpenSent { get; set; }

    public bool Opened { get; set; }

    /// <summary>The server's last report that this document is stuck, until its storage moves again.</summary>
    public string? StuckReport { get; set; }

    /// <summary>
    /// The server's report that this document failed or was refused on its own (a per-document error), until it
    /// is opened again on a later link.
    /// </summary>
    public string? FailedReport { get; set; }

    /// <summary>
    /// <see cref="ProtocolErrorCode.UpgradeRequired"/> (until the document opens again) or
    /// <see cref="ProtocolErrorCode.ServerOlderThanClient"/> (until an upload is acknowledged), or null.
    /// </summary>
    public ProtocolErrorCode? VersionRefusal { get; set; }

    /// <summary>Per-document refusals in a row (reset when the server acknowledges an upload or sends storage).</summary>
    public int Refusals { get; set; }

    /// <summary>When (<see cref="Environment.TickCount64"/>) a refused document may be opened again on this link.</summary>
    public long ReopenAt { get; set; }

    public DocumentAccess Access { get; set; }

    /// <summary>The range of this client's timeline the server reported last.</summary>
    public LsnRange? ServerTimeline { get; set; }

    public bool UploadInFlight { get; set; }

    /// <summary>Checkpoint downloads that failed validation on this link (decision 0027).</summary>
    public int CheckpointRejections { get; set; }

    public Lsn SentFrom { get; set; }

    public Lsn? SentUpTo { get; set; }

    /// <summary>A new link knows nothing of the server yet.</summary>
    public void Reset()
    {
        OpenSent = false;
        ReopenAt = 0; // a new link opens every document at once
        Opened = false;
        Access = DocumentAccess.Denied;
        ServerTimeline = null;
        UploadInFlight = false;
        SentUpTo = null;
        CheckpointRejections = 0;
    }
}
