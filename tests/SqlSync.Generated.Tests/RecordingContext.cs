using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>A mutation context that records the statements a reducer runs instead of running them.</summary>
internal sealed class RecordingContext : IMutationContext
{
    public List<(string Sql, object?[] Args)> Statements { get; } = [];

    public TimelineId Timeline { get; } = new(new Guid("00112233-4455-6677-8899-aabbccddeeff"));

    public Lsn Lsn { get; } = new(7);

    public DateTimeOffset Now { get; } = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public int Execute(string sql, params object?[] args)
    {
        Statements.Add((sql, args));
        return 1;
    }

    public IReadOnlyList<object?[]> Query(string sql, params object?[] args) => [];

    public T? QueryScalar<T>(string sql, params object?[] args) => default;

    public Guid NewGuid() => Guid.Empty;

    public long NextInt64() => 0;

    public int NextInt32(int minInclusive, int maxExclusive) => minInclusive;

    public double NextDouble() => 0;
}
