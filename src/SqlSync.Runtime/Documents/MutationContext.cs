using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;

namespace SqlSync.Documents;

/// <summary>The <see cref="IMutationContext"/> a document hands its reducer, reused from one mutation to the next.</summary>
internal sealed class MutationContext : IMutationContext
{
    private readonly DatabaseConnection _connection;
    private readonly DeterministicRandom _random = new(default, default);
    private bool _seeded;

    public MutationContext(DatabaseConnection connection)
    {
        _connection = connection;
    }

    public TimelineId Timeline { get; private set; }

    public Lsn Lsn { get; private set; }

    public DateTimeOffset Now { get; private set; }

    /// <summary>
    /// The random source of the mutation being applied; SQLite's random() draws from it. Seeded from the
    /// timeline and LSN at the first draw (most mutations draw none): the same sequence as seeding in Begin.
    /// </summary>
    public DeterministicRandom Random
    {
        get
        {
            if (!_seeded)
            {
                _random.Reseed(Timeline, Lsn);
                _seeded = true;
            }

            return _random;
        }
    }

    public void Begin(TimelineId timeline, Lsn lsn, long timestampUnixMilliseconds)
    {
        Timeline = timeline;
        Lsn = lsn;
        Now = DateTimeOffset.FromUnixTimeMilliseconds(timestampUnixMilliseconds);
        _seeded = false;
    }

    public int Execute(string sql, params object?[] args) => _connection.Execute(sql, args);

    public IReadOnlyList<object?[]> Query(string sql, params object?[] args) => _connection.Query(sql, args);

    public T? QueryScalar<T>(string sql, params object?[] args) => _connection.QueryScalar<T>(sql, args);

    public int Execute(string sql, params ReadOnlySpan<object?> args) => _connection.Execute(sql, args);

    public IReadOnlyList<object?[]> Query(string sql, params ReadOnlySpan<object?> args) => _connection.Query(sql, args);

    public T? QueryScalar<T>(string sql, params ReadOnlySpan<object?> args) => _connection.QueryScalar<T>(sql, args);

    public Guid NewGuid() => Random.NextGuid();

    public long NextInt64() => unchecked((long)Random.NextUInt64());

    public int NextInt32(int minInclusive, int maxExclusive) => Random.NextInt32(minInclusive, maxExclusive);

    public double NextDouble() => Random.NextDouble();
}
