using SqlSync.Documents;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Convergence;
using SqlSync.Runtime.Tests.Support;
using Xunit;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// Two clients and a coordinator in one process, the coordinator's journals in a directory so it can be
/// restarted; clients keep mutations that fail locally, so the coordinator's verdict is tested too.
/// </summary>
internal sealed class BoundaryWorld : IDisposable
{
    public const string DocumentId = "boundaries";

    private readonly ScratchDirectory _directory = new(preferMemoryBacked: true);
    private readonly MutationLimits _limits;

    public BoundaryWorld(MutationLimits? limits = null, IMutationReducer? reducer = null)
    {
        _limits = limits ?? MutationLimits.Default;
        Reducer = reducer ?? SqlMutations.Reducer;
        Coordinator = OpenCoordinator();
        A = OpenClient();
        B = OpenClient();
        A.Mutate(new SqlMutations.Create());
        SyncAll();
    }

    public IMutationReducer Reducer { get; }

    public CoordinatorDocument Coordinator { get; private set; }

    public LocalDocument A { get; }

    public LocalDocument B { get; }

    public string CoordinatorDirectory => _directory.Sub("coordinator");

    public LocalDocument OpenClient(bool keepFailures = true) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = Reducer,
        KeepMutationsThatFailLocally = keepFailures,
        Limits = _limits,
    });

    public CoordinatorDocument OpenCoordinator() => CoordinatorDocument.Open(new CoordinatorDocumentOptions
    {
        DocumentId = DocumentId,
        Reducer = Reducer,
        Directory = CoordinatorDirectory,
        FsyncOnAppend = false,
        Limits = _limits,
    });

    public void RestartCoordinator()
    {
        Coordinator.Dispose();
        Coordinator = OpenCoordinator();
    }

    /// <summary>Both clients upload, the coordinator applies everything, both download.</summary>
    public void SyncAll(int batchSize = 256)
    {
        SyncDriver.Upload(A, Coordinator);
        SyncDriver.Upload(B, Coordinator);
        Coordinator.StepAll(batchSize);
        SyncDriver.Download(A, Coordinator);
        SyncDriver.Download(B, Coordinator);
    }

    /// <summary>Every replica holds the coordinator's storage, has nothing pending and reads the same rows.</summary>
    public void AssertConverged()
    {
        var expected = Rows(Coordinator.Query);
        foreach (LocalDocument client in new[] { A, B })
        {
            Assert.Equal(Coordinator.StorageChecksum, client.StorageChecksum);
            Assert.Equal(0, client.PendingMutationCount);
            Assert.Equal(expected, Rows(client.Query));
        }

        using LocalDocument fresh = OpenClient();
        SyncDriver.Download(fresh, Coordinator);
        Assert.Equal(Coordinator.StorageChecksum, fresh.StorageChecksum);
        Assert.Equal(expected, Rows(fresh.Query));
    }

    public static List<string> Rows(Func<string, object?[], IReadOnlyList<object?[]>> query) =>
        query("SELECT id, v FROM t ORDER BY id", Array.Empty<object?>()).Select(r => $"{r[0]}:{r[1]}").ToList();

    public List<string> Rejections() =>
        Coordinator.Query("SELECT error FROM __sqlsync_rejections ORDER BY timeline_id, lsn").Select(r => (string)r[0]!).ToList();

    /// <summary>A restarted coordinator neither runs the rejected mutation again nor rejects it twice; replicas still converge.</summary>
    public void AssertTheRejectionStaysOneAfterARestart()
    {
        RestartCoordinator();
        SyncAll();
        Assert.Single(Rejections());
        AssertConverged();
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Coordinator.Dispose();
        _directory.Dispose();
    }
}
