using SqlSync.Documents;
using SqlSync.Mutations;
using Xunit;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>SQL text is run whole: every statement of it, as Microsoft.Data.Sqlite runs a command's text.</summary>
public sealed class MultiStatementTests
{
    private readonly ScriptReducer _reducer = new();

    private LocalDocument Open() => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "multi-statement", Reducer = _reducer, FsyncOnAppend = false,
    });

    private T Probe<T>(LocalDocument document, Func<IMutationContext, T> action)
    {
        T result = default!;
        _reducer.Probe = context => result = action(context);
        document.Mutate(ScriptReducer.ProbeRecord());
        return result;
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void EveryStatementOfAnExecuteRunsAndTheChangesAreCounted()
    {
        using LocalDocument document = Open();

        document.Mutate(ScriptReducer.RunScript("CREATE TABLE a(x); CREATE TABLE b(y); INSERT INTO a VALUES(1)"));

        Assert.Equal(1, _reducer.LastChanges);
        Assert.Equal(new object?[] { "a", "b" }, document.Query("SELECT name FROM sqlite_schema WHERE name IN ('a', 'b') ORDER BY name").Select(r => r[0]));
        Assert.Equal(1L, document.QueryScalar<long>("SELECT x FROM a"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ExecuteCountsRowsChangedByInsertUpdateAndDeleteOnly()
    {
        using LocalDocument document = Open();

        int total = Probe(document, c => c.Execute(
            "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2); UPDATE t SET x = x + 1; DELETE FROM t WHERE x = 3; SELECT * FROM t"));
        int afterInsert = Probe(document, c => c.Execute("INSERT INTO t VALUES (7), (8), (9)"));
        int ddl = Probe(document, c => c.Execute("CREATE TABLE u(y)")); // SQLite's changes() still says 3 here

        Assert.Equal(5, total);
        Assert.Equal(3, afterInsert);
        Assert.Equal(0, ddl);
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("")]
    [InlineData("   \n\t")]
    [InlineData(";;")]
    [InlineData("-- nothing here")]
    [InlineData("/* nothing */ ; -- at all\n")]
    [InlineData("/* unterminated")]
    public void EmptyAndCommentOnlyTextRunsNothing(string sql)
    {
        using LocalDocument document = Open();

        Assert.Equal(0, Probe(document, c => c.Execute(sql)));
        Assert.Empty(Probe(document, c => c.Query(sql)));
        Assert.Null(Probe(document, c => c.QueryScalar<long?>(sql)));
        Assert.Empty(document.Query(sql));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void QueryReturnsTheRowsOfTheLastStatementWithResultColumns()
    {
        using LocalDocument document = Open();
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE q(x)"));

        var rows = Probe(document, c => c.Query("INSERT INTO q VALUES (1), (2); SELECT x FROM q ORDER BY x; DELETE FROM q WHERE x = 1"));
        var returning = Probe(document, c => c.Query("SELECT 0; INSERT INTO q VALUES (5) RETURNING x * 10"));
        var noRows = Probe(document, c => c.Query("SELECT 1; SELECT 2 WHERE 0; INSERT INTO q VALUES (6)"));

        Assert.Equal(new object?[] { 1L, 2L }, rows.Select(r => r[0]));
        Assert.Equal(50L, Assert.Single(returning)[0]);
        Assert.Empty(noRows);
        Assert.Equal(new object?[] { 2L, 5L, 6L }, document.Query("SELECT count(*) FROM q; SELECT x FROM q ORDER BY x").Select(r => r[0]));
        Assert.Equal(2L, document.QueryScalar<long>("SELECT 1; SELECT 2, 3"));
        Assert.Equal(7L, Probe(document, c => c.QueryScalar<long>("SELECT 7; INSERT INTO q VALUES (9)")));
        Assert.Null(Probe(document, c => c.QueryScalar<long?>("SELECT 7; SELECT 8 WHERE 0")));
        Assert.Equal(4L, document.QueryScalar<long>("SELECT count(*) FROM q"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void EachStatementBindsTheArgumentsByItsOwnParameterNumbers()
    {
        using LocalDocument document = Open();
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE p(x)"));

        int changed = Probe(document, c => c.Execute(
            "INSERT INTO p VALUES (?1); INSERT INTO p VALUES (?2); INSERT INTO p VALUES (?1 + ?2); INSERT INTO p VALUES (?)", 10, 20));

        Assert.Equal(4, changed);
        Assert.Equal(new object?[] { 10L, 10L, 20L, 30L }, document.Query("SELECT x FROM p ORDER BY x").Select(r => r[0]));
        Assert.Equal(30L, document.QueryScalar<long>("SELECT ?1; SELECT max(x) FROM p WHERE x > ?1", 15));
    }

    [Theory]
    [Trait("Category", "Boundaries")]
    [InlineData("INSERT INTO p VALUES (?1); INSERT INTO p VALUES (?3)", 2, "Statement 2 of the text takes 3 parameter(s) but only 2 were given")]
    [InlineData("INSERT INTO p VALUES (?1); INSERT INTO p VALUES (?1)", 2, "2 argument(s) were given but none of the text's 2 statements takes more than 1")]
    [InlineData("INSERT INTO p VALUES (?1 + ?2)", 1, "The statement takes 2 parameter(s) but 1 were given")]
    [InlineData("INSERT INTO p VALUES (?1)", 3, "The statement takes 1 parameter(s) but 3 were given")]
    [InlineData("-- no statement", 1, "The text holds no statement but 1 argument(s) were given")]
    public void ArgumentsThatFitNoStatementAreAClearErrorAndTheMutationIsRolledBack(string sql, int count, string message)
    {
        using LocalDocument document = Open();
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE p(x)"));
        object?[] args = Enumerable.Range(1, count).Select(i => (object?)(long)i).ToArray();

        var error = Assert.Throws<SqlSyncException>(() => Probe(document, c => c.Execute(sql, args)));

        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        var inner = Assert.IsType<SqlSyncException>(error.InnerException);
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, inner.Code);
        Assert.Contains(message, inner.Message, StringComparison.Ordinal);
        Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM p"));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AFailingLaterStatementRollsBackTheWholeMutation()
    {
        using LocalDocument document = Open();
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE a(x)"));
        long pending = document.PendingMutationCount;

        var error = Assert.Throws<SqlSyncException>(() =>
            document.Mutate(ScriptReducer.RunScript("INSERT INTO a VALUES (1); CREATE TABLE b(y); INSERT INTO missing VALUES (1)")));

        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        Assert.Contains("no such table: missing", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM a"));
        Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM sqlite_schema WHERE name = 'b'"));
        Assert.Equal(pending, document.PendingMutationCount);
    }
}
