using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>
/// A document that never synced (its storage is empty: every page comes from its own pending mutations) rebased so
/// that some of those mutations are undone. Decision 0019 reported <c>SQLITE_CORRUPT</c> at the reapply's commit when a
/// lost timeline tail was undone this way (a path that no longer exists: a journal that lost its tail now refuses reads
/// until reopened); these shapes try to reproduce it through the paths that do the same (a mutation that writes and
/// then fails when applied again, one that is skipped as if its entry were gone, the coordinator rejecting mutations
/// at the first download), with the writer keeping its lock, with a reader open, with MutateAsync entries still in
/// the journal's memory tail, in memory and on disk. Each checks SQLite's integrity check, the rows,
/// and that the document goes on and converges with the coordinator.
/// </summary>
public sealed class NeverSyncedRebaseTests
{
    /// <summary>The test reducer, except that the mutations at <see cref="Undone"/> write their rows and then throw.</summary>
    private sealed class UndoingReducer : IMutationReducer
    {
        public HashSet<ulong> Undone { get; } = new();

        /// <summary>Undone mutations do nothing at all (as if the journal had lost them) instead of writing and throwing.</summary>
        public bool Skip { get; init; }

        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            if (Skip && Undone.Contains(context.Lsn.Value))
            {
                return;
            }

            Reducer.Apply(context, mutation);
            if (Undone.Contains(context.Lsn.Value))
            {
                throw new InvalidOperationException($"mutation {context.Lsn.Value} undone");
            }
        }
    }

    /// <summary>The test reducer, refusing every <see cref="Fill"/> and, when asked, the schema (a coordinator's verdict).</summary>
    private sealed class RefusingReducer(bool refuseSchema) : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            uint tag = new MutationReader(mutation).ReadTag();
            Reducer.Apply(context, mutation);
            if (tag == FillTag || (refuseSchema && tag == CreateSchemaTag))
            {
                throw new InvalidOperationException("refused by the coordinator");
            }
        }
    }

    private static LocalDocument Open(IMutationReducer reducer, string? directory = null) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "never-synced",
        Reducer = reducer,
        Directory = directory,
        FsyncOnAppend = directory is not null,
        VerifyFullChecksumOnRebase = true,
    });

    /// <summary>
    /// Schema, 40 small rows, then a fill of many pages, 40 more rows, another fill; the LSN of each. With
    /// <paramref name="durable"/> the second 40 rows go through MutateAsync, their tasks added there (not awaited: a
    /// rebase right after reads them from the timeline journal's memory tail).
    /// </summary>
    private static List<Lsn> MakeHistory(LocalDocument document, List<Task>? durable = null)
    {
        var lsns = new List<Lsn> { document.Mutate(new CreateSchema()) };
        for (int i = 0; i < 40; i++)
        {
            lsns.Add(document.Mutate(new Insert(i, $"row {i}", i)));
        }

        lsns.Add(document.Mutate(new Fill(1_000, 300, 200))); // ~20 pages and index pages, freed when undone
        for (int i = 40; i < 80; i++)
        {
            if (durable is null)
            {
                lsns.Add(document.Mutate(new Insert(i, $"row {i}", i)));
            }
            else
            {
                lsns.Add(document.TimelineRange.Next);
                durable.Add(document.MutateAsync(new Insert(i, $"row {i}", i)).AsTask());
            }
        }

        lsns.Add(document.Mutate(new Fill(5_000, 50, 3_000))); // overflow pages
        return lsns;
    }

    private static void AssertSound(LocalDocument document) =>
        Assert.Equal("ok", document.QueryScalar<string>("PRAGMA integrity_check"));

    public static TheoryData<string, bool, bool> Shapes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string shape in new[] { "none", "schema", "first-row", "first-fill", "last", "both-fills", "every-other", "all" })
        {
            foreach (bool skip in new[] { false, true })
            {
                data.Add(shape, false, skip);
                data.Add(shape, true, skip);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [Trait("Category", "Documents")]
    public async Task UndoingMutationsOfANeverSyncedDocumentByARebaseKeepsItSound(string shape, bool onDisk, bool skip)
    {
        using var directory = new TempDirectory();
        var reducer = new UndoingReducer { Skip = skip };
        var durable = new List<Task>();
        using (LocalDocument document = Open(reducer, onDisk ? directory.Path : null))
        {
            List<Lsn> lsns = MakeHistory(document, onDisk ? durable : null);
            AssertSound(document);
            long rowsBefore = document.QueryScalar<long>("SELECT count(*) FROM items");
            Assert.Equal(80L + 300 + 50, rowsBefore);

            IEnumerable<int> undone = shape switch
            {
                "none" => Array.Empty<int>(),
                "schema" => new[] { 0 },
                "first-row" => new[] { 1 },
                "first-fill" => new[] { 41 },
                "last" => new[] { lsns.Count - 1 },
                "both-fills" => new[] { 41, lsns.Count - 1 },
                "every-other" => Enumerable.Range(0, lsns.Count).Where(i => i % 2 == 1),
                "all" => Enumerable.Range(0, lsns.Count),
                _ => throw new ArgumentOutOfRangeException(nameof(shape)),
            };
            foreach (int index in undone)
            {
                reducer.Undone.Add(lsns[index].Value);
            }

            document.Rebase(); // never synced: empty storage, every mutation applied again, the undone ones left out
            if (reducer.Undone.Contains(lsns[0].Value))
            {
                // Without the schema every later mutation fails too: the document is empty again.
                Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM sqlite_schema WHERE name = 'items'"));
            }
            else
            {
                AssertSound(document);
                long expected = 0;
                for (int i = 1; i < lsns.Count; i++)
                {
                    if (!reducer.Undone.Contains(lsns[i].Value))
                    {
                        expected += i == 41 ? 300 : i == lsns.Count - 1 ? 50 : 1;
                    }
                }

                Assert.Equal(expected, document.QueryScalar<long>("SELECT count(*) FROM items"));
            }

            Assert.Equal(lsns.Count, document.PendingMutationCount); // the coordinator decides: nothing is dropped locally

            // It goes on: a rebase with nothing undone brings every row back, a new mutation lands on top.
            reducer.Undone.Clear();
            document.Rebase();
            AssertSound(document);
            Assert.Equal(rowsBefore, document.QueryScalar<long>("SELECT count(*) FROM items"));
            document.Mutate(new Insert(90_000, "after", 1));
            document.Rebase();
            AssertSound(document);
            Assert.Equal(rowsBefore + 1, document.QueryScalar<long>("SELECT count(*) FROM items"));
            await Task.WhenAll(durable).WaitAsync(TimeSpan.FromSeconds(30));
        }

        if (onDisk)
        {
            using LocalDocument reopened = Open(reducer, directory.Path);
            AssertSound(reopened);
            Assert.Equal(80L + 300 + 50 + 1, reopened.QueryScalar<long>("SELECT count(*) FROM items"));
            using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "never-synced", Reducer = Reducer });
            DirectSync.Sync(reopened, coordinator);
            Assert.Equal(0, reopened.PendingMutationCount);
            Assert.Equal(coordinator.StorageChecksum, reopened.StorageChecksum);
            AssertSound(reopened);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("Category", "Documents")]
    public void UndoingMutationsWhileAReaderIsOpenShowsTheReaderTheNewState(bool onDisk)
    {
        using var directory = new TempDirectory();
        var reducer = new UndoingReducer();
        using LocalDocument document = Open(reducer, onDisk ? directory.Path : null);
        List<Lsn> lsns = MakeHistory(document);
        using var reader = new Microsoft.Data.Sqlite.SqliteConnection(document.ReadOnlyConnectionString);
        reader.Open();
        long ReaderCount()
        {
            using var command = reader.CreateCommand();
            command.CommandText = "SELECT count(*) FROM items";
            return (long)command.ExecuteScalar()!;
        }

        Assert.Equal(430L, ReaderCount());
        for (int round = 0; round < 6; round++)
        {
            reducer.Undone.Clear();
            if (round % 2 == 0)
            {
                reducer.Undone.Add(lsns[41].Value);
                reducer.Undone.Add(lsns[round + 1].Value);
            }

            document.Rebase();
            long expected = round % 2 == 0 ? 430L - 300 - 1 : 430L;
            Assert.Equal(expected, ReaderCount());
            Assert.Equal(expected, document.QueryScalar<long>("SELECT count(*) FROM items"));
            AssertSound(document);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [Trait("Category", "Documents")]
    public void TheFirstDownloadUndoesTheMutationsTheCoordinatorRejected(bool refuseSchema, bool onDisk)
    {
        using var directory = new TempDirectory();
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "never-synced", Reducer = new RefusingReducer(refuseSchema) });
        using LocalDocument document = Open(Reducer, onDisk ? directory.Path : null);
        MakeHistory(document);
        document.Mutate(new Insert(90_000, "uploaded", 1));

        DirectSync.Upload(document, coordinator);
        coordinator.StepAll();
        document.Mutate(new Insert(90_001, "pending", 1)); // made after the upload: still pending at the download
        DirectSync.Download(document, coordinator);

        AssertSound(document);
        Assert.Equal(1, document.PendingMutationCount);
        Assert.Equal(coordinator.StorageChecksum, document.StorageChecksum);
        if (refuseSchema)
        {
            Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM sqlite_schema WHERE name = 'items'"));
        }
        else
        {
            Assert.Equal(82L, document.QueryScalar<long>("SELECT count(*) FROM items")); // the rows, no fill, the uploaded and the pending one
        }

        DirectSync.Sync(document, coordinator);
        AssertSound(document);
        Assert.Equal(0, document.PendingMutationCount);
        Assert.Equal(coordinator.StorageChecksum, document.StorageChecksum);
    }
}
