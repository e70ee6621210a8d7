using SQLitePCL;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using Xunit;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>One gate from SQLite result codes to exceptions: codes as properties, messages that name what failed once.</summary>
public sealed class SqliteErrorGateTests
{
    private const string DocumentId = "gate-tests";
    private readonly ScriptReducer _reducer = new();

    private LocalDocument Open() => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = DocumentId, Reducer = _reducer, FsyncOnAppend = false,
    });

    private static int Occurrences(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AConstraintFailureCarriesSqlitesCodesAndNamesTheDocumentAndTheMutationOnce()
    {
        using LocalDocument document = Open();
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE u(x UNIQUE)"));

        var error = Assert.Throws<SqlSyncException>(() =>
            document.Mutate(ScriptReducer.RunScript("INSERT INTO u VALUES (1); INSERT INTO u VALUES (1)")));

        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        Assert.Equal(19, error.SqliteResultCode); // SQLITE_CONSTRAINT
        Assert.Equal(2067, error.SqliteExtendedResultCode); // SQLITE_CONSTRAINT_UNIQUE
        var inner = Assert.IsType<SqlSyncException>(error.InnerException);
        Assert.Equal(SqlSyncErrorCode.Sqlite, inner.Code);
        Assert.Equal(19, inner.SqliteResultCode);
        Assert.Equal(2067, inner.SqliteExtendedResultCode);

        Assert.StartsWith($"Mutation RunScript failed on document '{DocumentId}' and was rolled back: UNIQUE constraint failed: u.x (SQLITE_CONSTRAINT_UNIQUE, in: INSERT INTO u VALUES (1))", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(error.Message, DocumentId));
        Assert.Equal(1, Occurrences(error.Message, "RunScript"));
        Assert.DoesNotContain("Sqlite: SQLite", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not an error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReducerExceptionNamesTheMutationMethod()
    {
        using LocalDocument document = Open();
        _reducer.Probe = _ => throw new InvalidOperationException("out of paper");

        var error = Assert.Throws<SqlSyncException>(() => document.Mutate(ScriptReducer.ProbeRecord()));

        Assert.Equal($"Mutation Probe failed on document '{DocumentId}' and was rolled back: InvalidOperationException: out of paper", error.Message);
        Assert.Null(error.SqliteResultCode);
        Assert.Null(error.SqliteExtendedResultCode);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReducerWithoutNamesIsNamedByItsTag()
    {
        using var document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = DocumentId, Reducer = Support.TestMutations.Reducer, FsyncOnAppend = false,
        });

        var error = Assert.Throws<SqlSyncException>(() => document.Mutate(new Support.TestMutations.Fail("no way")));

        Assert.StartsWith($"Mutation 0x00000005 failed on document '{DocumentId}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AQueryErrorNamesTheDocumentAndCarriesTheCodes()
    {
        using LocalDocument document = Open();

        var error = Assert.Throws<SqlSyncException>(() => document.Query("SELECT * FROM missing"));

        Assert.Equal(SqlSyncErrorCode.Sqlite, error.Code);
        Assert.Equal(1, error.SqliteResultCode);
        Assert.Equal(1, error.SqliteExtendedResultCode);
        Assert.Equal($"Document '{DocumentId}': no such table: missing (SQLITE_ERROR, in: SELECT * FROM missing).", error.Message);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheCoordinatorRecordsTheMutationNameAndTheSqliteMessageWithoutARepeatedPrefix()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = DocumentId, Reducer = _reducer });
        var entries = new List<ReadOnlyMemory<byte>>
        {
            TimelineEntry.Encode(1, ScriptReducer.RunScript("CREATE TABLE u(x NOT NULL)")),
            TimelineEntry.Encode(2, ScriptReducer.RunScript("INSERT INTO u VALUES (NULL)")),
        };
        coordinator.ReceiveTimeline(TimelineId.New(), new JournalPartial(LsnRange.Inclusive(Lsn.Zero, new Lsn(1)), entries));
        coordinator.StepAll();

        string error = (string)Assert.Single(coordinator.Query("SELECT error FROM __sqlsync_rejections"))[0]!;

        Assert.Equal("RunScript: NOT NULL constraint failed: u.x (SQLITE_CONSTRAINT_NOTNULL, in: INSERT INTO u VALUES (NULL)).", error);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheGateDoesNotTrustAMessageOfAnotherCall()
    {
        using LocalDocument document = Open();
        sqlite3 handle = document.Database.Connection.Handle; // its last call succeeded: errmsg says "not an error"

        SqlSyncException error = SqliteResult.Failure(raw.SQLITE_BUSY, handle, "", "BEGIN IMMEDIATE");

        Assert.Equal("database is locked (SQLITE_BUSY, in: BEGIN IMMEDIATE).", error.Message);
        Assert.Equal(5, error.SqliteResultCode);
        Assert.Equal(5, error.SqliteExtendedResultCode);
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData(1, "SQLITE_ERROR")]
    [InlineData(2067, "SQLITE_CONSTRAINT_UNIQUE")]
    [InlineData(1299, "SQLITE_CONSTRAINT_NOTNULL")]
    [InlineData(266, "SQLITE_IOERR_READ")]
    [InlineData(8714, "SQLITE_IOERR_IN_PAGE")]
    [InlineData(101, "SQLITE_DONE")]
    [InlineData(999, "SQLite result 999")]
    public void ResultCodesHaveTheirSqliteNames(int code, string name) => Assert.Equal(name, SqliteResultCodes.Name(code));
}
