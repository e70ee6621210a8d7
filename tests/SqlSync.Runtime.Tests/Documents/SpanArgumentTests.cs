using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Boundaries;
using Xunit;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>
/// The <c>params ReadOnlySpan&lt;object?&gt;</c> overloads of <see cref="IMutationContext"/> (what
/// <c>ctx.Execute(sql, a, b)</c> binds to since they exist): the same statements, bindings and errors as the
/// array overloads, and a context that implements only the array overloads still receives every call.
/// </summary>
public sealed class SpanArgumentTests
{
    private readonly ScriptReducer _reducer = new();

    private LocalDocument Open() => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "span-arguments", Reducer = _reducer, FsyncOnAppend = false,
    });

    private T Probe<T>(LocalDocument document, Func<IMutationContext, T> action)
    {
        T result = default!;
        _reducer.Probe = context => result = action(context);
        document.Mutate(ScriptReducer.ProbeRecord());
        return result;
    }

    [Fact]
    public void SpanAndArrayOverloadsBindAndReturnTheSame()
    {
        using LocalDocument document = Open();
        Probe(document, c => c.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)"));

        int bySpan = Probe(document, c => c.Execute("INSERT INTO t VALUES(?1, ?2, ?3)", 1L, "one", new byte[] { 1, 2 }));
        int byArray = Probe(document, c => c.Execute("INSERT INTO t VALUES(?1, ?2, ?3)", new object?[] { 2L, "two", new byte[] { 3 } }));
        string? scalarBySpan = Probe(document, c => c.QueryScalar<string>("SELECT v FROM t WHERE id = ?1", 1L));
        string? scalarByArray = Probe(document, c => c.QueryScalar<string>("SELECT v FROM t WHERE id = ?1", new object?[] { 2L }));
        IReadOnlyList<object?[]> rowsBySpan = Probe(document, c => c.Query("SELECT id, v FROM t WHERE id >= ?1 ORDER BY id", 1L));
        IReadOnlyList<object?[]> rowsByArray = Probe(document, c => c.Query("SELECT id, v FROM t WHERE id >= ?1 ORDER BY id", new object?[] { 1L }));

        Assert.Equal(1, bySpan);
        Assert.Equal(1, byArray);
        Assert.Equal("one", scalarBySpan);
        Assert.Equal("two", scalarByArray);
        Assert.Equal(rowsByArray, rowsBySpan);
        Assert.Equal(new object?[] { 1L, "one" }, rowsBySpan[0]);
        Assert.Equal(new byte[] { 1, 2 }, document.QueryScalar<byte[]>("SELECT b FROM t WHERE id = 1"));
    }

    [Fact]
    public void SpanOverloadRefusesAnArgumentCountThatFitsNoStatement()
    {
        using LocalDocument document = Open();
        Probe(document, c => c.Execute("CREATE TABLE t(x)"));

        var error = Assert.Throws<SqlSyncException>(() => Probe(document, c => c.Execute("INSERT INTO t VALUES(?1)", 1L, 2L)));

        Assert.Equal(SqlSyncErrorCode.MutationFailed, error.Code);
        Assert.Contains("takes 1 parameter(s) but 2 were given", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, document.QueryScalar<long>("SELECT count(*) FROM t"));
    }

    [Fact]
    public void AContextWithOnlyTheArrayOverloadsReceivesSpanCalls()
    {
        var context = new ArrayOnlyContext();
        IMutationContext asInterface = context;

        asInterface.Execute("INSERT INTO t VALUES(?1, ?2)", 5L, "five");
        asInterface.Query("SELECT ?1", "q");
        asInterface.QueryScalar<long>("SELECT ?1", 9L);

        Assert.Equal(
            new (string, object?[])[] { ("INSERT INTO t VALUES(?1, ?2)", [5L, "five"]), ("SELECT ?1", ["q"]), ("SELECT ?1", [9L]) },
            context.Calls);
    }

    /// <summary>A context written against the array overloads only, as any written before the span overloads.</summary>
    private sealed class ArrayOnlyContext : IMutationContext
    {
        public List<(string Sql, object?[] Args)> Calls { get; } = [];

        public TimelineId Timeline => default;

        public Lsn Lsn => default;

        public DateTimeOffset Now => default;

        public int Execute(string sql, params object?[] args)
        {
            Calls.Add((sql, args));
            return 0;
        }

        public IReadOnlyList<object?[]> Query(string sql, params object?[] args)
        {
            Calls.Add((sql, args));
            return [];
        }

        public T? QueryScalar<T>(string sql, params object?[] args)
        {
            Calls.Add((sql, args));
            return default;
        }

        public Guid NewGuid() => Guid.Empty;

        public long NextInt64() => 0;

        public int NextInt32(int minInclusive, int maxExclusive) => minInclusive;

        public double NextDouble() => 0;
    }
}
