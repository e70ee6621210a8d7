using System.Collections.Concurrent;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Durable <see cref="LocalDocument.MutateAsync"/> (issue 15, point 4): applied at once, acknowledged once an fsync covered
/// it, concurrent writers share fsyncs. The crash is simulated at the file level: every fsync of the timeline is seen
/// (through <see cref="StorageFaults.Inject"/>, process-wide, hence run alone) and the segment's bytes at that moment are
/// what a power loss would leave. Reopening that image must hold every acknowledged mutation, in the order applied.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class GroupCommitTests : ServerTestBase
{
    private LocalDocument Durable(string name, string? directory = null) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "counters",
        Reducer = CounterMutations.Reducer.Instance,
        Directory = directory ?? Path.Combine(Root, "clients", name, "counters"),
        FsyncOnAppend = true,
    });

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task EveryAcknowledgedMutationOfConcurrentWritersSurvivesACrashInTheOrderApplied()
    {
        const int Writers = 16, PerWriter = 40;
        string directory = Path.Combine(Root, "clients", "crash", "counters");
        string timeline = Path.Combine(directory, "timeline") + Path.DirectorySeparatorChar;
        var gate = new object();
        var durableImage = new Dictionary<string, byte[]>(); // segment path -> its bytes at its last fsync
        var acknowledged = new HashSet<string>();
        Dictionary<string, byte[]>? imageAtCrash = null;
        HashSet<string>? acknowledgedAtCrash = null;
        StorageFaults.Inject = (path, operation) =>
        {
            if (operation == "flush" && path.StartsWith(timeline, StringComparison.Ordinal))
            {
                lock (gate)
                {
                    // What this fsync makes durable: the file as written so far (a write may be half done: a torn tail).
                    durableImage[path] = ReadShared(path);
                }
            }

            return null;
        };

        List<string> appliedOrder;
        long flushes;
        try
        {
            using LocalDocument document = Durable("crash", directory);
            await document.CreateSchemaAsync();
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (int i = 0; i < PerWriter; i++)
                {
                    string name = $"w{w}-{i}";
                    await document.LogAsync(name);
                    lock (gate)
                    {
                        acknowledged.Add(name);
                        if (acknowledged.Count == Writers * PerWriter / 2)
                        {
                            // The crash: what is on disk now, and what was acknowledged by now.
                            imageAtCrash = durableImage.ToDictionary(e => e.Key, e => e.Value);
                            acknowledgedAtCrash = new HashSet<string>(acknowledged);
                        }
                    }
                }
            })));

            appliedOrder = document.Query("SELECT name FROM log ORDER BY seq").Select(r => (string)r[0]!).ToList();
            flushes = document.TimelineFlushes;
        }
        finally
        {
            StorageFaults.Inject = null;
        }

        Assert.Equal(Writers * PerWriter, appliedOrder.Count);
        Assert.True(flushes < Writers * PerWriter, $"{Writers * PerWriter} durable mutations took {flushes} fsyncs: concurrent writers must share them");

        // Restart from the crash image: the document's files as they are, the timeline's segments as last fsynced.
        string crashed = Path.Combine(Root, "clients", "after-crash", "counters");
        CopyDirectory(directory, crashed);
        foreach (string segment in Directory.GetFiles(Path.Combine(crashed, "timeline"), "*.seg"))
        {
            string original = Path.Combine(timeline, Path.GetFileName(segment));
            File.WriteAllBytes(segment, imageAtCrash!.TryGetValue(original, out byte[]? bytes) ? bytes : File.ReadAllBytes(segment)[..0]);
        }

        using LocalDocument reopened = Durable("after-crash", crashed);
        List<string> survivors = reopened.Query("SELECT name FROM log ORDER BY seq").Select(r => (string)r[0]!).ToList();
        Assert.All(acknowledgedAtCrash!, name => Assert.Contains(name, survivors));
        Assert.Equal(appliedOrder.Take(survivors.Count), survivors); // a prefix of the order applied: nothing earlier lost
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task MutateAsyncIsVisibleAtOnceAndMixesWithSynchronousMutate()
    {
        using LocalDocument document = Durable("mixed");
        document.CreateSchema();
        ValueTask<Lsn> first = document.AddAsync("hits", 1);
        Assert.Equal(1L, Value(document, "hits")); // applied before the task completes
        document.Add("hits", 10); // the synchronous Mutate fsyncs on its own, as before
        Lsn second = await document.AddAsync("hits", 100);
        Assert.True(await first < second);
        Assert.Equal(111L, Value(document, "hits"));
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task AFailedGroupFsyncFaultsTheWaitersAndTheJournalRefusesFurtherAppends()
    {
        string directory = Path.Combine(Root, "clients", "eio", "counters");
        string timeline = Path.Combine(directory, "timeline") + Path.DirectorySeparatorChar;
        using LocalDocument document = Durable("eio", directory);
        document.CreateSchema();
        StorageFaults.Inject = (path, operation) => operation == "flush" && path.StartsWith(timeline, StringComparison.Ordinal) ? new IOException("injected EIO") : null;
        try
        {
            var error = await Assert.ThrowsAsync<SqlSyncException>(async () => await document.AddAsync("hits", 1));
            Assert.Equal(SqlSyncErrorCode.JournalIo, error.Code);
            Assert.Equal(SqlSyncErrorCode.JournalIo, Assert.Throws<SqlSyncException>(() => document.Add("hits", 1)).Code);
        }
        finally
        {
            StorageFaults.Inject = null;
        }
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task DisposeMakesWaitingMutationsDurableAndAMutationIsUploadedOnlyOnceDurable()
    {
        await using var server = await TestServer.StartAsync(ServerDirectory);
        string directory = Path.Combine(Root, "clients", "upload", "counters");
        var tasks = new List<Task<Lsn>>();
        using (LocalDocument document = Durable("upload", directory))
        {
            document.CreateSchema();
            await using SqlSyncClient sync = Connect(server, document);
            for (int i = 0; i < 50; i++)
            {
                tasks.Add(document.AddAsync("hits", 1).AsTask());
            }

            SyncResult result = await sync.WaitUntilSyncedAsync(document).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(result.AllApplied);
            Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully)); // uploaded and applied: durable before
            tasks.Add(document.AddAsync("hits", 1).AsTask());
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30)); // the last one completed by Dispose
        using LocalDocument again = Durable("upload", directory);
        Assert.Equal(51L, Value(again, "hits"));
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A document's folder as it is on disk, without its lock file (a crash image to reopen).</summary>
    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            if (Path.GetFileName(file) != "journal.lock")
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }

        foreach (string child in Directory.GetDirectories(from))
        {
            CopyDirectory(child, Path.Combine(to, Path.GetFileName(child)));
        }
    }
}
