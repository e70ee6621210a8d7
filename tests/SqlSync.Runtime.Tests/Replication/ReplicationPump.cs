using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>
/// Moves frames between a client engine and a server link in one process, through the codec, as a
/// transport would: every message is encoded and decoded on the way.
/// </summary>
internal sealed class ReplicationPump
{
    private readonly Queue<SyncMessage> _toServer = new();
    private readonly Queue<SyncMessage> _toClient = new();

    public ReplicationPump(ReplicationClient client, ServerLink server)
    {
        Client = client;
        Server = server;
    }

    public ReplicationClient Client { get; }

    public ServerLink Server { get; }

    public int Frames { get; private set; }

    /// <summary>What the way to the client does to a message (a damaging proxy), or null.</summary>
    public Func<SyncMessage, SyncMessage>? AlterToClient { get; init; }

    /// <summary>What the way to the server does to a message (a hostile client), or null.</summary>
    public Func<SyncMessage, SyncMessage>? AlterToServer { get; init; }

    /// <summary>Replaces a server message after it crossed the codec, just before the client handles it (as a transport hands it over).</summary>
    public Func<SyncMessage, SyncMessage>? ReceivedByClient { get; init; }

    /// <summary>Checkpoint acks that reported a download corrupt (decision 0027).</summary>
    public int CorruptCheckpointReports { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>The largest frame moved so far.</summary>
    public int LargestFrame { get; private set; }

    public void Connect() => Enqueue(_toServer, Client.Connect());

    /// <summary>Delivers messages both ways, polling both engines, until nothing moves.</summary>
    public void RunUntilQuiet(Action? betweenRounds = null)
    {
        for (int round = 0; round < 10_000; round++)
        {
            Enqueue(_toServer, Client.Poll());
            Enqueue(_toClient, Server.Poll());
            if (_toServer.Count == 0 && _toClient.Count == 0)
            {
                betweenRounds?.Invoke();
                Enqueue(_toClient, Server.Poll());
                if (_toClient.Count == 0)
                {
                    return;
                }
            }

            while (_toServer.TryDequeue(out SyncMessage? message))
            {
                Enqueue(_toClient, Server.Handle(RoundTrip(AlterToServer?.Invoke(message) ?? message)));
            }

            while (_toClient.TryDequeue(out SyncMessage? message))
            {
                SyncMessage received = RoundTrip(AlterToClient?.Invoke(message) ?? message);
                Enqueue(_toServer, Client.Handle(ReceivedByClient?.Invoke(received) ?? received));
            }
        }

        throw new InvalidOperationException("The link never went quiet.");
    }

    private SyncMessage RoundTrip(SyncMessage message)
    {
        byte[] frame = SyncMessageCodec.Encode(message);
        Frames++;
        Bytes += frame.Length;
        LargestFrame = Math.Max(LargestFrame, frame.Length);
        SyncMessage decoded = SyncMessageCodec.Decode(frame);
        CorruptCheckpointReports += decoded is CheckpointAckMessage { Received: CheckpointAckMessage.Corrupt } ? 1 : 0;
        return decoded;
    }

    private static void Enqueue(Queue<SyncMessage> queue, IReadOnlyList<SyncMessage> messages)
    {
        foreach (SyncMessage message in messages)
        {
            queue.Enqueue(message);
        }
    }
}
