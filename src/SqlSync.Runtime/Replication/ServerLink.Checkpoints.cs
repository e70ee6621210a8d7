using SqlSync.Journals;
using SqlSync.Replication.Messages;

namespace SqlSync.Replication;

// Joining from a checkpoint: the server's side of decision 0018 (offer, slices, acks).
internal sealed partial class ServerLink
{
    private IReadOnlyList<SyncMessage> CheckpointAck(CheckpointAckMessage ack)
    {
        ServerDocumentLink link = Find(ack.DocumentId);
        if (link.CheckpointLsn is null || link.Window.Count == 0)
        {
            throw Error(ProtocolErrorCode.UnexpectedMessage, "a checkpoint ack with no checkpoint offered", ack.DocumentId);
        }

        bool offer = link.Window.OfferPending;
        (SentKind? kind, bool rewind) = link.Window.Acknowledge(ack.Received);
        if (kind == SentKind.Entries)
        {
            throw Error(ProtocolErrorCode.UnexpectedMessage, "a checkpoint ack for storage entries", ack.DocumentId);
        }

        if (ack.Received == CheckpointAckMessage.Declined && (!offer || kind != SentKind.Offer))
        {
            throw Error(ProtocolErrorCode.UnexpectedMessage, "a checkpoint declined other than in answer to its offer", ack.DocumentId);
        }

        if (ack.Received == CheckpointAckMessage.Declined && EntriesKeptFor(link))
        {
            // A memory client offered the checkpoint as a new client (decision 0042): the entries instead. When they
            // are dropped it gets the slices, and refuses them with a clear error of its own (decision 0018).
            link.CheckpointLsn = null;
            link.EntriesOnly = true;
            link.Window.MarkStale();
        }
        else if (ack.Received == CheckpointAckMessage.Corrupt)
        {
            CheckpointReportedCorrupt(link, ack.Lsn);
            link.Window.MarkStale(); // the download starts over with a new offer once the window is empty
            link.EntriesOnly |= EntriesKeptFor(link); // a new client whose download failed takes the entries while they are kept
        }
        else if (ack.Lsn != link.CheckpointLsn)
        {
            link.CheckpointLsn = null; // the client answers about another checkpoint: offered again from its start
            link.Window.MarkStale();
        }
        else if (offer || rewind)
        {
            // Where the client stands: the offer's answer (a download cut short resumes there), or a slice it did not
            // take where it was sent (the slices after it are ignored by the client; their acks are stale).
            link.CheckpointSent = Math.Clamp(ack.Received, 0, link.CheckpointShape.Length);
        }

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

    /// <summary>The server still keeps every entry the client lacks, so it may take them instead of a checkpoint.</summary>
    private static bool EntriesKeptFor(ServerDocumentLink link) => link.SentNext >= link.Document.StorageRange.First;

    /// <summary>
    /// A new client (it holds nothing) joins from the newest checkpoint even while the entries before it are kept
    /// (decision 0042): what it downloads is then bounded by the database, not by the history, and a client takes a
    /// checkpoint's slices faster than entries. Not when the client declined one (a memory document) or reported one
    /// corrupt, nor a checkpoint the server found corrupt itself (every new client would download it for nothing).
    /// </summary>
    private static bool JoinsFromCheckpoint(ServerDocumentLink link) =>
        !link.EntriesOnly && link.SentNext == Lsn.Zero && link.ClientStorage.IsEmpty
        && link.Document.CheckpointForReplica() is { } checkpoint && !link.Document.IsCheckpointKnownCorrupt(checkpoint.Lsn);

    /// <summary>Downloads of one checkpoint a link may report corrupt (while the server's copy validates) before the document is refused on it.</summary>
    internal const int MaxCheckpointRejections = 3;

    /// <summary>
    /// A client behind the entries the server keeps gets the newest checkpoint, a slice per message (a window of them
    /// in flight, decision 0030), starting with an empty offer so a download cut short resumes where the client stands
    /// (decision 0018). The offer goes alone (the slices start where its answer says), and a new offer only once
    /// every earlier message is answered. Returns false when nothing more may go now.
    /// </summary>
    private bool AddCheckpoint(ServerDocumentLink link, List<SyncMessage> messages, long budget, bool retried = false)
    {
        if (link.Window.OfferPending)
        {
            return false;
        }

        if (link.Document.CheckpointForReplica() is not { } checkpoint)
        {
            throw Error(ProtocolErrorCode.InternalError,
                $"the client holds storage up to {link.ClientStorage} but the server keeps {link.Document.StorageRange} and has no checkpoint to send", link.Document.DocumentId);
        }

        string documentId = link.Document.DocumentId;
        if (link.CheckpointLsn is { } current && current != checkpoint.Lsn && !retried && link.SentNext <= current)
        {
            // A newer checkpoint was written during the download: finish the one begun while it is still kept (its
            // retention runs from its own birth), then catch up through the entries after it. Restarting on every new
            // checkpoint would never finish on a slow link to a busy document.
            checkpoint = (current, link.CheckpointShape.Length, link.CheckpointShape.Pages);
        }

        if (link.CheckpointLsn != checkpoint.Lsn)
        {
            if (link.Window.Count > 0)
            {
                return false; // earlier messages are answered first: the offer's answer must say where the client stands
            }

            link.CheckpointLsn = checkpoint.Lsn;
            link.CheckpointShape = (checkpoint.Length, checkpoint.Pages);
            link.CheckpointSent = 0;
            link.Window.Add(SentKind.Offer, 0);
            messages.Add(new CheckpointChunkMessage(documentId, checkpoint.Lsn, checkpoint.Length, checkpoint.Pages, 0, ReadOnlyMemory<byte>.Empty));
            return true;
        }

        long offset = Math.Min(link.CheckpointSent, checkpoint.Length);
        if (offset == checkpoint.Length && link.Window.Count > 0)
        {
            return false; // the last slice is in flight: its answer installs the checkpoint or says where to go on
        }

        byte[]? bytes = link.Document.ReadCheckpointForReplica(checkpoint.Lsn, offset, (int)Math.Min(budget, int.MaxValue));
        if (bytes is null)
        {
            if (retried)
            {
                throw Error(ProtocolErrorCode.InternalError, $"the checkpoint at LSN {checkpoint.Lsn} could not be read", documentId);
            }

            if (link.Window.Count > 0)
            {
                return false; // compacted away meanwhile: the newest is offered once the slices in flight are answered
            }

            link.CheckpointLsn = null;
            return AddCheckpoint(link, messages, budget, retried: true);
        }

        link.CheckpointSent = offset + bytes.Length;
        link.Window.Add(SentKind.Slice, link.CheckpointSent);
        messages.Add(new CheckpointChunkMessage(documentId, checkpoint.Lsn, checkpoint.Length, checkpoint.Pages, offset, bytes));
        return true;
    }
}
