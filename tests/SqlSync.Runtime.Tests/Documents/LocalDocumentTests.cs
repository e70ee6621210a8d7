using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

public sealed class LocalDocumentTests
{
    private static LocalDocumentOptions Options(string? directory = null, bool keep = false) => new()
    {
        DocumentId = "local-tests",
        Reducer = Reducer,
        Directory = directory,
        FsyncOnAppend = false,
        KeepMutationsThatFailLocally = keep,
    };

    [Fact]
    [Trait("Category", "Documents")]
    public void AReducerExceptionRollsBackAndIsNotRecorded()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new CreateSchema());
        LsnRange before = doc.TimelineRange;

        var error = Assert.Throws<SqlSyncException>(() => doc.Mutate(new Fail("no way")));

        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        Assert.Contains("no way", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(0L, doc.QueryScalar<long>("SELECT count(*) FROM items")); // the row it wrote is gone
        Assert.Equal(before, doc.TimelineRange);
        doc.Mutate(new Insert(1, "after", 1)); // the document goes on
        Assert.Equal(1L, doc.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void AMutationThatFailsLocallyCanBeKeptForTheCoordinatorToDecide()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "local-tests", Reducer = Reducer });
        using var a = LocalDocument.Open(Options(keep: true));
        using var b = LocalDocument.Open(Options());
        a.Mutate(new CreateSchema());
        DirectSync.Sync(a, coordinator);

        // Row 5 does not exist on A yet, so AddQuantity fails locally; B creates it first on the coordinator.
        Lsn kept = a.Mutate(new AddQuantity(5, 10));
        Assert.Equal(1, a.PendingMutationCount);
        DirectSync.Sync(b, coordinator);
        b.Mutate(new Insert(5, "five", 1));
        DirectSync.Sync(b, coordinator);
        DirectSync.Sync(a, coordinator);

        Assert.Equal(11L, a.QueryScalar<long>("SELECT qty FROM items WHERE id = 5"));
        Assert.Empty(a.GetRejections());
        Assert.True(kept.Value > 0);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void OfflineMutationsSurviveARestartAndAreAppliedAgain()
    {
        using var directory = new TempDirectory();
        TimelineId timeline;
        using (var doc = LocalDocument.Open(Options(directory.Path)))
        {
            timeline = doc.TimelineId;
            doc.Mutate(new CreateSchema());
            for (int i = 0; i < 50; i++)
            {
                doc.Mutate(new Insert(i, $"offline {i}", i));
            }
        }

        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "local-tests", Reducer = Reducer });
        using (var doc = LocalDocument.Open(Options(directory.Path)))
        {
            Assert.Equal(timeline, doc.TimelineId);
            Assert.Equal(51, doc.PendingMutationCount);
            Assert.Equal(1225L, doc.QueryScalar<long>("SELECT sum(qty) FROM items"));
            DirectSync.Sync(doc, coordinator);
            Assert.Equal(0, doc.PendingMutationCount);
        }

        // After a restart the synced state comes from the local storage journal, not the network.
        using (var doc = LocalDocument.Open(Options(directory.Path)))
        {
            Assert.Equal(0, doc.PendingMutationCount);
            Assert.Equal(coordinator.StorageRange, doc.StorageRange);
            Assert.Equal(coordinator.StorageChecksum, doc.StorageChecksum);
            Assert.Equal(1225L, doc.QueryScalar<long>("SELECT sum(qty) FROM items"));
        }
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void TheCoordinatorsRejectionReachesTheClientAfterRebase()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "local-tests", Reducer = Reducer });
        using var a = LocalDocument.Open(Options());
        using var b = LocalDocument.Open(Options());
        a.Mutate(new CreateSchema());
        a.Mutate(new Insert(1, "one", 1));
        DirectSync.Sync(a, coordinator);
        DirectSync.Sync(b, coordinator);

        b.Mutate(new AddQuantity(1, 5)); // fine locally
        a.Mutate(new Delete(1));
        DirectSync.Sync(a, coordinator); // the coordinator deletes row 1 first
        var rejected = new List<RejectedMutation>();
        b.MutationRejected += (_, r) => rejected.Add(r);
        DirectSync.Sync(b, coordinator);

        RejectedMutation rejection = Assert.Single(rejected);
        Assert.Equal(b.TimelineId, rejection.Timeline);
        Assert.Contains("item 1 does not exist", rejection.Error);
        Assert.Equal(rejection, Assert.Single(b.GetRejections()));
        Assert.Equal(0, b.PendingMutationCount);
        Assert.Equal(0L, b.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    /// <summary>Two DDL statements: SQLite's schema cookie ends at 2, as after the coordinator's system tables.</summary>
    private sealed class TwoTableSchema : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            context.Execute("CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, text TEXT)");
            context.Execute("CREATE TABLE IF NOT EXISTS tags(id INTEGER PRIMARY KEY, tag TEXT)");
        }
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void ASchemaChangedUnderTheClientIsReloadedEvenWhenTheSchemaCookiesCollide()
    {
        // The client's local schema and the coordinator's system tables both leave SQLite's schema cookie
        // at 2: without the VFS's own cookie, connections would keep the client's stale schema.
        var reducer = new TwoTableSchema();
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "cookies", Reducer = reducer });
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "cookies", Reducer = reducer });
        client.Mutate(new byte[] { 1, 0, 0, 0 });
        Assert.Equal(2L, client.QueryScalar<long>("SELECT count(*) FROM sqlite_master WHERE name IN ('notes', 'tags')"));
        Assert.Equal(2L, (long)coordinator.Query("PRAGMA schema_version")[0][0]!);
        using var reader = new Microsoft.Data.Sqlite.SqliteConnection(client.ReadOnlyConnectionString);
        reader.Open();
        using (var command = reader.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM notes";
            Assert.Equal(0L, (long)command.ExecuteScalar()!); // the reader caches the client's schema
        }

        DirectSync.Download(client, coordinator); // the system tables only: the client's schema is pending again
        Assert.Equal(1, client.PendingMutationCount);
        Assert.Equal(0L, client.QueryScalar<long>("SELECT count(*) FROM __sqlsync_timelines"));
        using (var command = reader.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM __sqlsync_timelines";
            Assert.Equal(0L, (long)command.ExecuteScalar()!);
        }

        DirectSync.Sync(client, coordinator);
        Assert.Equal(0, client.PendingMutationCount);
        Assert.Equal(0L, client.QueryScalar<long>("SELECT count(*) FROM tags"));
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void ARebaseMovesTheSchemaCookieOnlyWhenTheSchemaMayHaveChanged()
    {
        // Connections keep their parsed schema (and prepared statements) across a rebase that cannot have
        // changed it; a schema change from either side moves the cookie they see.
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "cookie", Reducer = Reducer });
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "cookie", Reducer = Reducer });
        using var other = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "cookie", Reducer = Reducer });
        client.Mutate(new CreateSchema());
        DirectSync.Sync(client, coordinator);
        DirectSync.Sync(other, coordinator);
        long Cookie() => client.QueryScalar<long>("PRAGMA schema_version");

        long before = Cookie();
        other.Mutate(new Insert(1, "row", 1));
        DirectSync.Sync(other, coordinator);
        client.Mutate(new Insert(2, "local", 2));
        DirectSync.Download(client, coordinator); // rows only, from both sides
        Assert.Equal(before, Cookie());
        Assert.Equal(2L, client.QueryScalar<long>("SELECT count(*) FROM items"));

        other.Mutate(new Ddl(0)); // the coordinator's schema changes
        DirectSync.Sync(other, coordinator);
        DirectSync.Download(client, coordinator);
        long afterRemoteDdl = Cookie();
        Assert.True(afterRemoteDdl > before);
        Assert.Equal(1L, client.QueryScalar<long>("SELECT count(*) FROM extra_0"));

        client.Mutate(new Ddl(4)); // a local schema change, then a rebase that drops it and applies it again
        long afterLocalDdl = Cookie();
        Assert.True(afterLocalDdl > afterRemoteDdl);
        client.Rebase();
        Assert.True(Cookie() > afterLocalDdl);
        Assert.Equal(1L, client.QueryScalar<long>("SELECT count(*) FROM extra_1"));

        DirectSync.Sync(client, coordinator);
        long settled = Cookie();
        client.Rebase(); // nothing local left: nothing can have changed
        Assert.Equal(settled, Cookie());
    }

    [Theory]
    [Trait("Category", "Documents")]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/not/allowed")]
    public void AnInvalidDocumentIdIsAClearError(string id)
    {
        var error = Assert.Throws<SqlSyncException>(() => LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = Reducer }));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
        Assert.Contains("Document id", error.Message);
    }

    [Fact]
    [Trait("Category", "Documents")]
    public void UsingADisposedDocumentIsAClearError()
    {
        var doc = LocalDocument.Open(Options());
        doc.Dispose();
        Assert.Equal(SqlSyncErrorCode.DocumentClosed, Assert.Throws<SqlSyncException>(() => doc.Mutate(new CreateSchema())).Code);
    }
}
