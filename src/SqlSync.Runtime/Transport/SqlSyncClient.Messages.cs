using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Transport;

/// <summary>What the client does with each message the server sends: replies to give, storage taken a batch at a time.</summary>
public sealed partial class SqlSyncClient
{
    /// <summary>
    /// Handles one server message. Storage is received by the document outside the engine lock: the rebase
    /// takes the document's lock and raises its events, whose handlers may call this client.
    /// </summary>
    private IReadOnlyList<SyncMessage> Handle(SyncMessage message)
    {
        if (message is PresenceChangedMessage presence)
        {
            ApplyPresence(presence); // no engine state: the peers' list is the presence object's
            return Array.Empty<SyncMessage>();
        }

        LocalDocument? document;
        JournalPartial? entries;
        if (message is CheckpointChunkMessage chunk)
        {
            // Installed outside the engine lock, like storage: the rebase raises the document's events.
            lock (_engineLock)
            {
                document = _engine.TakeCheckpointChunk(chunk);
            }

            CheckpointChunkResult result = document.ReceiveCheckpointChunk(chunk.Lsn, chunk.TotalBytes, chunk.Pages, chunk.Offset, chunk.Bytes.Span);
            lock (_engineLock)
            {
                if (result.Error is { } corrupt)
                {
                    LastError = corrupt; // the download starts over; the server checks its copy (decision 0027)
                }

                return _engine.CheckpointReceived(chunk, result);
            }
        }

        lock (_engineLock)
        {
            if (!_engine.TryTakeStorage(message, out document, out entries))
            {
                IReadOnlyList<SyncMessage> replies = _engine.Handle(message);
                if (message is ErrorMessage failed && SyncProtocol.IsDocumentRefusal(failed.Code))
                {
                    LastError = new SqlSyncException(SqlSyncErrorCode.Protocol, $"Document '{failed.DocumentId}' failed on the server: {failed.Message}");
                    if (_engine.NextReopenIn() is TimeSpan reopen)
                    {
                        _ = WakeAfterAsync(reopen);
                    }
                }

                return replies;
            }
        }

        if (document is null)
        {
            return Array.Empty<SyncMessage>(); // a part of an entry still arriving
        }

        LsnRange range = document.ReceiveStorage(entries!);
        lock (_engineLock)
        {
            return _engine.StorageReceived(document.DocumentId, range);
        }
    }

    /// <summary>
    /// Storage messages of one document that arrived together (decision 0030): taken by the document in one go, with
    /// one fsync and one rebase, then each acknowledged with the range after it (all are durable by then). A part of an
    /// entry completes it or is held by the engine (decision 0039); only whole entries are received and acknowledged.
    /// </summary>
    private IReadOnlyList<SyncMessage> HandleStorageBatch(IReadOnlyList<SyncMessage> batch)
    {
        LocalDocument? document = null;
        var entries = new List<JournalPartial>(batch.Count);
        lock (_engineLock)
        {
            foreach (SyncMessage message in batch)
            {
                _engine.TryTakeStorage(message, out LocalDocument? taker, out JournalPartial? taken);
                if (taker is not null)
                {
                    document = taker;
                    entries.Add(taken!);
                }
            }
        }

        if (document is null)
        {
            return Array.Empty<SyncMessage>(); // parts of an entry still arriving
        }

        IReadOnlyList<LsnRange> ranges = document.ReceiveStorageBatch(entries);
        var replies = new List<SyncMessage>();
        lock (_engineLock)
        {
            foreach (LsnRange range in ranges)
            {
                replies.AddRange(_engine.StorageReceived(document.DocumentId, range));
            }
        }

        return replies;
    }
}
