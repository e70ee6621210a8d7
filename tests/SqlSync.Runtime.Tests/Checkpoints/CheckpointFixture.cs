using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>A coordinator on disk that tests fill with updates, checkpoint, compact, crash and reopen.</summary>
internal sealed class CheckpointFixture : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TimelineId _timeline = TimelineId.New();
    private ulong _next;

    public CheckpointFixture(TimeSpan? retention = null, long minJournalBytes = long.MaxValue, double ratio = 2.0, long pageCacheBytes = global::SqlSync.Storage.PageCache.DefaultBytes, bool fsyncOnAppend = true)
    {
        FsyncOnAppend = fsyncOnAppend;
        PageCacheBytes = pageCacheBytes;
        Retention = retention;
        MinJournalBytes = minJournalBytes;
        Ratio = ratio;
        Coordinator = Open();
    }

    public TimeSpan? Retention { get; }

    public bool FsyncOnAppend { get; }

    public long PageCacheBytes { get; }

    public long MinJournalBytes { get; }

    public double Ratio { get; }

    public List<string> Warnings { get; } = new();

    public CoordinatorDocument Coordinator { get; private set; }

    public string Directory => _temp.Sub("doc");

    public string CheckpointDirectory => System.IO.Path.Combine(Directory, "checkpoints");

    public CoordinatorDocument Open() => CoordinatorDocument.Open(new CoordinatorDocumentOptions
    {
        DocumentId = "ckpt",
        Reducer = Reducer,
        Directory = Directory,
        StorageRetention = Retention,
        FsyncOnAppend = FsyncOnAppend,
        CheckpointMinJournalBytes = MinJournalBytes,
        CheckpointJournalRatio = Ratio,
        StorageSegmentBytes = 64 * 1024,
        PageCacheBytes = PageCacheBytes,
        Warning = message => { lock (Warnings) Warnings.Add(message); },
    });

    /// <summary>Disposes the coordinator (as a crash would leave its files) and opens it again.</summary>
    public void Reopen()
    {
        Coordinator.Dispose();
        Coordinator = Open();
    }

    /// <summary>Writes a checkpoint now and waits (with a deadline) until it is on disk; its failure is thrown.</summary>
    public void Checkpoint()
    {
        // A generous deadline: the checkpoint's fsyncs (file and directory) can wait behind the disk writes of the other
        // test assemblies that CI runs at once (one timed out at a minute there, once).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task task = Coordinator.CheckpointAsync();
        if (!task.Wait(TimeSpan.FromMinutes(3)))
        {
            throw new TimeoutException($"The checkpoint was not written within {clock.Elapsed.TotalSeconds:0} s (its task: {task.Status}).");
        }
    }

    /// <summary>Uploads and applies <paramref name="mutations"/>, one step each.</summary>
    public void Apply(params IMutation[] mutations)
    {
        Receive(mutations);
        while (Coordinator.Step() > 0)
        {
        }
    }

    /// <summary>The timeline the fixture uploads on.</summary>
    public TimelineId Timeline => _timeline;

    /// <summary>Uploads <paramref name="mutations"/> without stepping them.</summary>
    public void Receive(params IMutation[] mutations)
    {
        var entries = new List<ReadOnlyMemory<byte>>();
        var writer = new MutationWriter();
        foreach (IMutation mutation in mutations)
        {
            writer.Reset();
            mutation.WriteTo(writer);
            entries.Add(TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan));
        }

        Coordinator.ReceiveTimeline(_timeline, new JournalPartial(LsnRange.Inclusive(new Lsn(_next), new Lsn(_next + (ulong)mutations.Length - 1)), entries));
        _next += (ulong)mutations.Length;
    }

    /// <summary>A schema and 20 rows, then <paramref name="updates"/> single-row updates.</summary>
    public void Fill(int updates)
    {
        if (_next == 0)
        {
            Apply(new CreateSchema());
            Apply(Enumerable.Range(1, 20).Select(i => (IMutation)new Insert(i, "row " + i, 0)).ToArray());
        }

        Apply(Enumerable.Range(0, updates).Select(i => (IMutation)new AddQuantity(1 + i % 20, 1)).ToArray());
    }

    /// <summary>What a reopen must reproduce: checksum, range end and the rows.</summary>
    public (ulong Checksum, Lsn Next, string Rows) State() => (Coordinator.StorageChecksum, Coordinator.StorageRange.Next,
        string.Join(";", Coordinator.Query("SELECT id, qty FROM items ORDER BY id").Select(r => $"{r[0]}={r[1]}")));

    public string[] CheckpointFiles() => System.IO.Directory.Exists(CheckpointDirectory)
        ? System.IO.Directory.GetFiles(CheckpointDirectory).Select(System.IO.Path.GetFileName).OfType<string>().Order().ToArray()
        : Array.Empty<string>();

    public void Dispose()
    {
        Coordinator.Dispose();
        _temp.Dispose();
    }
}
