using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Runtime.Tests.Replication;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// A server engine whose documents compact at once after a checkpoint (written when a test asks), or keep every entry
/// (<c>compact: false</c>), in a temporary folder; clients beside it.
/// </summary>
internal sealed class CheckpointServer : IDisposable
{
    private readonly string _id;

    public CheckpointServer(string id, ReplicationOptions replication, Action<string>? warning = null, bool compact = true)
    {
        _id = id;
        Coordinators = new TestCoordinators
        {
            OptionsFor = documentId => new CoordinatorDocumentOptions
            {
                DocumentId = documentId,
                Reducer = Reducer,
                Directory = Temp.Sub("server"),
                StorageRetention = compact ? TimeSpan.Zero : null,
                CheckpointMinJournalBytes = long.MaxValue, // checkpoints only when the test asks
                Warning = warning,
            },
        };
        Server = new ReplicationServer(Coordinators, replication);
    }

    public TempDirectory Temp { get; } = new();

    public TestCoordinators Coordinators { get; }

    public ReplicationServer Server { get; }

    public CoordinatorDocument Coordinator => Coordinators.GetDocument(_id);

    /// <summary>A file-backed client of the document in its own folder.</summary>
    public LocalDocument Client(string name) => LocalDocument.Open(new LocalDocumentOptions { DocumentId = _id, Reducer = Reducer, Directory = Temp.Sub(name) });

    /// <summary>The rows of <c>items</c> as one string, for comparing a client with the server.</summary>
    public static string Rows(Func<string, IReadOnlyList<object?[]>> query) =>
        string.Join(";", query("SELECT id, qty FROM items ORDER BY id").Select(r => $"{r[0]}={r[1]}"));

    /// <summary>The server's one checkpoint file.</summary>
    public string ServerCheckpoint() => Directory.GetFiles(Path.Combine(Temp.Sub("server"), "checkpoints"), "*.ckpt").Single();

    /// <summary>Flips a byte of a file in place (the server may hold it open, decision 0026).</summary>
    public static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        file.Position = offset;
        int b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x5A));
    }

    /// <summary>A proxy that damages the last slice of every checkpoint download after the server sent it (a client's disk, a broken proxy).</summary>
    public static SyncMessage DamageLastSlice(SyncMessage message) =>
        message is CheckpointChunkMessage { Bytes.Length: > 0 } c && c.Offset + c.Bytes.Length == c.TotalBytes
            ? c with { Bytes = c.Bytes.ToArray().Select((b, i) => i == 100 ? (byte)(b ^ 1) : b).ToArray() }
            : message;

    public void Dispose()
    {
        Coordinators.Dispose();
        Temp.Dispose();
    }
}
