using SqlSync.Journals;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

// Joining from a checkpoint: the server's side of decision 0018 (offer, slices, acks).
internal sealed partial class ServerLink
{
    private IReadOnlyList<SyncMessage> CheckpointAck(CheckpointAckMessage ack)
    {
        ServerDocumentLink link = Find(ack.DocumentId);
        if (link.CheckpointLsn is null || !link.StorageInFlight)
        {
            throw Error(ProtocolErrorCode.UnexpectedMessage, "a checkpoint ack with no checkpoint offered", ack.DocumentId);
        }

        link.StorageInFlight = false;
        if (ack.Received == CheckpointAckMessage.Corrupt)
        {
            CheckpointReportedCorrupt(link, ack.Lsn);
        }

        link.CheckpointOffset = ack.Lsn == link.CheckpointLsn ? Math.Max(0, ack.Received) : 0;
        var replies = new List<SyncMessage>();
        AddStorage(link, replies);
        return replies;
    }

    /// <summary>
    /// The client downloaded the checkpoint at <paramref name="lsn"/> whole and it failed validation (decision 0027).
    /// The server checks its own copy (once per checkpoint, whatever a client reports): a corrupt copy is replaced by a
    /// fresh checkpoint of the document, and the client starts over from it; a sound copy is sent again, at most
    /// <see cref="MaxCheckpointRejections"/> times per link, then the document is refused on this link (the client
    /// opens it again after a growing delay), so no download repeats without end.
    /// </summary>
    private static void CheckpointReportedCorrupt(ServerDocumentLink link, Lsn lsn)
    {
        if (lsn != link.CheckpointLsn)
        {
            throw Error(ProtocolErrorCode.UnexpectedMessage, $"a corrupt report for the checkpoint at {lsn}, which is not the one offered", link.Document.DocumentId);
        }

        link.CheckpointLsn = null; // offered again from the start (or the replacement is)
        if (!link.Document.CheckCheckpointForReplica(lsn))
        {
            return; // the server's copy was the corrupt one: replaced, so the client's reports do not count against it
        }

        link.CheckpointRejections++;
        if (link.CheckpointRejections >= MaxCheckpointRejections)
        {
            throw DocumentError(ProtocolErrorCode.CheckpointRejected,
                $"the client found the checkpoint at LSN {lsn} corrupt {link.CheckpointRejections} times, but the server's copy validates: " +
                "the damage is on the way or on the client; it is opened again later", link.Document.DocumentId);
        }
    }

    /// <summary>Downloads of one checkpoint a link may report corrupt (while the server's copy validates) before the document is refused on it.</summary>
    internal const int MaxCheckpointRejections = 3;

    /// <summary>
    /// A client behind the entries the server keeps gets the newest checkpoint, a slice per message (one in flight),
    /// starting with an empty offer so a download cut short resumes where the client stands (decision 0018).
    /// Returns false when the client is not behind.
    /// </summary>
    private bool AddCheckpoint(ServerDocumentLink link, List<SyncMessage> messages, long budget, bool retried = false)
    {
        LsnRange kept = link.Document.StorageRange;
        if (link.ClientStorage.Next >= kept.First)
        {
            return false;
        }

        if (link.Document.CheckpointForReplica() is not { } checkpoint)
        {
            throw Error(ProtocolErrorCode.InternalError,
                $"the client holds storage up to {link.ClientStorage} but the server keeps {kept} and has no checkpoint to send", link.Document.DocumentId);
        }

        string documentId = link.Document.DocumentId;
        if (link.CheckpointLsn is { } current && current != checkpoint.Lsn && !retried && link.ClientStorage.Next <= current)
        {
            // A newer checkpoint was written during the download: finish the one begun while it is still kept (its
            // retention runs from its own birth), then catch up through the entries after it. Restarting on every new
            // checkpoint would never finish on a slow link to a busy document.
            checkpoint = (current, link.CheckpointShape.Length, link.CheckpointShape.Pages);
        }

        if (link.CheckpointLsn != checkpoint.Lsn)
        {
            link.CheckpointLsn = checkpoint.Lsn;
            link.CheckpointShape = (checkpoint.Length, checkpoint.Pages);
            link.CheckpointOffset = 0;
            link.StorageInFlight = true;
            messages.Add(new CheckpointChunkMessage(documentId, checkpoint.Lsn, checkpoint.Length, checkpoint.Pages, 0, ReadOnlyMemory<byte>.Empty));
            return true;
        }

        long offset = Math.Min(link.CheckpointOffset, checkpoint.Length);
        byte[]? bytes = link.Document.ReadCheckpointForReplica(checkpoint.Lsn, offset, (int)Math.Min(budget, int.MaxValue));
        if (bytes is null && !retried)
        {
            link.CheckpointLsn = null; // compacted away meanwhile: offer the newest
            return AddCheckpoint(link, messages, budget, retried: true);
        }

        if (bytes is null)
        {
            throw Error(ProtocolErrorCode.InternalError, $"the checkpoint at LSN {checkpoint.Lsn} could not be read", documentId);
        }

        link.StorageInFlight = true;
        messages.Add(new CheckpointChunkMessage(documentId, checkpoint.Lsn, checkpoint.Length, checkpoint.Pages, offset, bytes));
        return true;
    }
}
