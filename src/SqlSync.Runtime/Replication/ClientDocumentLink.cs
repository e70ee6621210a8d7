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

    public DocumentAccess Access { get; set; }

    /// <summary>The range of this client's timeline the server reported last.</summary>
    public LsnRange? ServerTimeline { get; set; }

    public bool UploadInFlight { get; set; }

    public Lsn SentFrom { get; set; }

    public Lsn? SentUpTo { get; set; }

    /// <summary>A new link knows nothing of the server yet.</summary>
    public void Reset()
    {
        OpenSent = false;
        Opened = false;
        Access = DocumentAccess.Denied;
        ServerTimeline = null;
        UploadInFlight = false;
        SentUpTo = null;
    }
}
