using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Generators.Tests;

/// <summary>A mutation context that records each <c>Execute</c> (SQL and arguments), to see what a replayed record did.</summary>
internal sealed class RecordingContext : IMutationContext
{
    public List<(string Sql, object?[] Args)> Executed { get; } = new();

    public TimelineId Timeline => default;

    public Lsn Lsn => default;

    public DateTimeOffset Now => DateTimeOffset.UnixEpoch;

    public int Execute(string sql, params object?[] args)
    {
        Executed.Add((sql, args));
        return 1;
    }

    public IReadOnlyList<object?[]> Query(string sql, params object?[] args) => Array.Empty<object?[]>();

    public T? QueryScalar<T>(string sql, params object?[] args) => default;

    public Guid NewGuid() => Guid.Empty;

    public long NextInt64() => 0;

    public int NextInt32(int minInclusive, int maxExclusive) => minInclusive;

    public double NextDouble() => 0;
}
