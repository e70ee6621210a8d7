using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Replication;

/// <summary>What a server link knows about one open document: the client's cached storage range and what is in flight.</summary>
internal sealed class ServerDocumentLink
{
    public ServerDocumentLink(CoordinatorDocument document, TimelineId timeline, DocumentAccess access, LsnRange clientStorage)
    {
        Document = document;
        Timeline = timeline;
        Access = access;
        ClientStorage = clientStorage;
        SentNext = clientStorage.Next;
    }

    public CoordinatorDocument Document { get; }

    /// <summary>The one timeline this link may append to for this document.</summary>
    public TimelineId Timeline { get; }

    public DocumentAccess Access { get; }

    /// <summary>The storage range the client reported last.</summary>
    public LsnRange ClientStorage { get; set; }

    /// <summary>The storage and checkpoint messages sent and not yet acknowledged (decision 0030).</summary>
    public StorageWindow Window { get; } = new();

    /// <summary>Where the client's storage will end once it applied every entry sent: the next entries go from here.</summary>
    public Lsn SentNext { get; set; }

    /// <summary>The checkpoint this client is downloading (null: none offered yet on this link).</summary>
    public Lsn? CheckpointLsn { get; set; }

    /// <summary>Where the next slice of <see cref="CheckpointLsn"/> starts (what the client holds plus the slices in flight).</summary>
    public long CheckpointSent { get; set; }

    /// <summary>The file length and pages of the checkpoint at <see cref="CheckpointLsn"/>, as offered.</summary>
    public (long Length, uint Pages) CheckpointShape { get; set; }

    /// <summary>
    /// The client takes entries, not a checkpoint, while the server keeps them: it declined a checkpoint (a memory
    /// document) or reported one corrupt (decision 0042). A new client is otherwise offered the checkpoint first.
    /// </summary>
    public bool EntriesOnly { get; set; }

    /// <summary>How many times the client reported a downloaded checkpoint corrupt on this link (decision 0027).</summary>
    public int CheckpointRejections { get; set; }

    /// <summary>
    /// Where the timeline ended when this link last saw it (its open, its last upload): a first part past it
    /// leaves a gap, refused without touching the document (which may be busy).
    /// </summary>
    public Lsn TimelineNext { get; set; }
}
