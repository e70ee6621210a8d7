using SqlSync.Documents;
using SqlSync.Journals;

namespace SqlSync.Server.Tests;

/// <summary>
/// Durable <see cref="LocalDocument.MutateAsync"/> when the flusher writes the timeline (issue 15, point 4): a failed
/// write, a dispose with records still queued, and the order between MutateAsync and a synchronous Mutate. Faults are
/// injected through <see cref="StorageFaults.Inject"/> (process-wide, hence run alone).
/// </summary>
[Collection(RunAlone.Name)]
public sealed class GroupCommitFaultTests : ServerTestBase
{
    private LocalDocument Durable(string directory) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "counters",
        Reducer = CounterMutations.Reducer.Instance,
        Directory = directory,
        FsyncOnAppend = true,
    });

    private string TimelineOf(string directory) => Path.Combine(directory, "timeline") + Path.DirectorySeparatorChar;

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task AFailedWriteFaultsTheQueuedMutationsAndTheReopenedDocumentShowsWhatItsJournalHolds()
    {
        string directory = Path.Combine(Root, "clients", "enospc", "counters");
        string timeline = TimelineOf(directory);
        using (LocalDocument document = Durable(directory))
        {
            document.CreateSchema();
            await document.AddAsync("hits", 1);
            StorageFaults.Inject = (path, operation) => operation == "write" && path.StartsWith(timeline, StringComparison.Ordinal)
                ? new IOException("injected: no space left on device", 28) : null;
            try
            {
                // Once the flusher met the failure, a call throws at once: both count as a faulted task.
                async Task<Lsn> Add() => await document.AddAsync("hits", 10);
                var queued = Enumerable.Range(0, 20).Select(_ => Add()).ToList();
                foreach (Task<Lsn> task in queued)
                {
                    var error = await Assert.ThrowsAsync<SqlSyncException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
                    Assert.Equal(SqlSyncErrorCode.JournalIo, error.Code);
                    Assert.Contains("no space left on the device", error.Message, StringComparison.Ordinal);
                }

                // Its database holds mutations its journal lost: it shows nothing more until reopened.
                var refused = Assert.Throws<SqlSyncException>(() => Value(document, "hits"));
                Assert.Equal(SqlSyncErrorCode.JournalIo, refused.Code);
                Assert.Contains("open it again", refused.Message, StringComparison.Ordinal);
                Assert.Equal(SqlSyncErrorCode.JournalIo, Assert.Throws<SqlSyncException>(() => document.Add("hits", 1)).Code);
                Assert.Equal(SqlSyncErrorCode.JournalIo, (await Assert.ThrowsAsync<SqlSyncException>(async () => await document.AddAsync("hits", 1))).Code);
            }
            finally
            {
                StorageFaults.Inject = null;
            }
        }

        using (LocalDocument reopened = Durable(directory))
        {
            Assert.Equal(1L, Value(reopened, "hits")); // what the journal holds: the acknowledged add, none of the lost ones
            await reopened.AddAsync("hits", 100).AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // space again: it goes on
            reopened.Add("hits", 1000);
        }

        using LocalDocument again = Durable(directory);
        Assert.Equal(1101L, Value(again, "hits"));
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task DisposeWritesEveryQueuedMutationOrFaultsItNeverDropsOne()
    {
        string directory = Path.Combine(Root, "clients", "dispose", "counters");
        List<Task<Lsn>> tasks;
        using (LocalDocument document = Durable(directory))
        {
            document.CreateSchema();
            tasks = Enumerable.Range(0, 300).Select(_ => document.AddAsync("hits", 1).AsTask()).ToList();
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        using (LocalDocument reopened = Durable(directory))
        {
            Assert.Equal(300L, Value(reopened, "hits"));
        }

        string failing = Path.Combine(Root, "clients", "dispose-enospc", "counters");
        string timeline = TimelineOf(failing);
        using (LocalDocument document = Durable(failing))
        {
            document.CreateSchema();
            StorageFaults.Inject = (path, operation) => operation == "write" && path.StartsWith(timeline, StringComparison.Ordinal)
                ? new IOException("injected: no space left on device", 28) : null;
            async Task<Lsn> Add() => await document.AddAsync("hits", 1);
            tasks = Enumerable.Range(0, 300).Select(_ => Add()).ToList();
        }

        try
        {
            foreach (Task<Lsn> task in tasks)
            {
                Assert.Equal(SqlSyncErrorCode.JournalIo,
                    (await Assert.ThrowsAsync<SqlSyncException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)))).Code);
            }
        }
        finally
        {
            StorageFaults.Inject = null;
        }

        using LocalDocument afterFailure = Durable(failing);
        Assert.Equal(0L, Value(afterFailure, "hits"));
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task ASynchronousMutateAfterMutateAsyncIsNeverDurableBeforeThem()
    {
        string directory = Path.Combine(Root, "clients", "order", "counters");
        string timeline = TimelineOf(directory);
        int testThread = Environment.CurrentManagedThreadId;
        using var flusherHeld = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        using LocalDocument document = Durable(directory);
        document.CreateSchema();
        // The flusher's fsyncs wait (its writes do not): the synchronous Mutate must write what it has not.
        StorageFaults.Inject = (path, operation) =>
        {
            if (operation == "flush" && path.StartsWith(timeline, StringComparison.Ordinal) && Environment.CurrentManagedThreadId != testThread)
            {
                flusherHeld.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        };

        try
        {
            var early = new List<Task<Lsn>> { document.AddAsync("hits", 1).AsTask() };
            Assert.True(flusherHeld.Wait(TimeSpan.FromSeconds(30)), "the flusher never reached its fsync");
            early.AddRange(Enumerable.Range(0, 5).Select(_ => document.AddAsync("hits", 1).AsTask())); // still in memory
            Assert.All(early, t => Assert.False(t.IsCompleted));
            document.Add("hits", 100); // returns once durable: with everything applied before it

            string copy = Path.Combine(Root, "clients", "order-copy", "counters");
            GroupCommitTests.CopyDirectory(directory, copy);
            release.Set();
            await Task.WhenAll(early).WaitAsync(TimeSpan.FromSeconds(30));
            using LocalDocument crashed = Durable(copy);
            Assert.Equal(106L, Value(crashed, "hits"));
        }
        finally
        {
            release.Set();
            StorageFaults.Inject = null;
        }
    }
}
