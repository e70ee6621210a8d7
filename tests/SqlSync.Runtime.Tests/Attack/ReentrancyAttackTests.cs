using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Boundaries;
using Xunit;
using static SqlSync.Runtime.Tests.Attack.Hang;

namespace SqlSync.Runtime.Tests.Attack;

public sealed class ReentrancyAttackTests
{
    private readonly ScriptReducer _reducer = new();

    private LocalDocument Open(MutationLimits? limits = null) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "attack-reentrancy", Reducer = _reducer, FsyncOnAppend = false, Limits = limits ?? MutationLimits.Default,
    });

    /// <summary>Many tiny statements, each under the progress handler's interval, from one reducer.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void TheStepBudgetCountsManyTinyStatements()
    {
        using LocalDocument document = Open(new MutationLimits { MaxVmStepsPerMutation = 20_000 });
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
        // One statement doing the same amount of work is refused (sanity check of the budget).
        Assert.Throws<SqlSyncException>(() => document.Mutate(ScriptReducer.RunScript(
            "INSERT INTO t(v) SELECT x FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT x FROM c)")));
        _reducer.Probe = context =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                context.Execute("INSERT INTO t(v) VALUES(?1)", i);
            }
        };
        Exception? error = Record.Exception(() => document.Mutate(ScriptReducer.ProbeRecord()));
        long rows = document.QueryScalar<long>("SELECT count(*) FROM t");
        Assert.True(error is not null, $"20,000 single-row INSERTs (well over 20,000 VM steps) ran within the budget: {rows} rows");
    }

    /// <summary>A reducer that calls Mutate on its own document and swallows the error, then carries on.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void ANestedMutateSwallowedLeavesTheOuterMutationWhole()
    {
        using LocalDocument document = Open();
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
        Exception? nested = null;
        _reducer.Probe = context =>
        {
            context.Execute("INSERT INTO t VALUES(1, 'outer-before')");
            try
            {
                document.Mutate(ScriptReducer.RunScript("INSERT INTO t VALUES(2, 'nested')"));
            }
            catch (Exception ex)
            {
                nested = ex;
            }

            context.Execute("INSERT INTO t VALUES(3, 'outer-after')");
        };
        Exception? outer = null;
        Bounded(() => outer = Record.Exception(() => document.Mutate(ScriptReducer.ProbeRecord())));
        var rows = document.Query("SELECT id, v FROM t ORDER BY id").Select(r => $"{r[0]}:{r[1]}").ToList();
        Assert.True(outer is null && rows.SequenceEqual(new[] { "1:outer-before", "3:outer-after" }),
            $"outer={outer?.Message}; nested={nested?.Message}; rows={string.Join(",", rows)}; pending={document.PendingMutationCount}");
        Assert.Equal(2, document.PendingMutationCount);
    }

    /// <summary>A reducer that disposes its own document.</summary>
    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReducerDisposingItsDocumentGetsAClearError()
    {
#pragma warning disable CA2000 // the reducer disposes it
        LocalDocument document = Open();
#pragma warning restore CA2000
        document.Mutate(ScriptReducer.RunScript("CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
        _reducer.Probe = context =>
        {
            context.Execute("INSERT INTO t VALUES(1, 'x')");
            document.Dispose();
            context.Execute("INSERT INTO t VALUES(2, 'y')");
        };
        Exception? outer = null;
        Bounded(() => outer = Record.Exception(() => document.Mutate(ScriptReducer.ProbeRecord())));
        Assert.True(outer is SqlSyncException or ObjectDisposedException or InvalidOperationException, $"got {outer?.GetType().Name}: {outer?.Message}");
    }
}
