using SqlSync.Journals;

namespace SqlSync.Mutations;

/// <summary>
/// Everything a mutation may see: its arguments come in the record, the database through
/// <see cref="Execute(string, object?[])"/> and <see cref="Query(string, object?[])"/>, and time and randomness from here, derived from the
/// record itself so that every replica computes the same thing.
/// </summary>
/// <remarks>
/// SQL parameters are positional (<c>?1</c>, <c>?2</c>, … or <c>?</c>) and may be <see langword="null"/>,
/// <see cref="bool"/>, any integral type, <see cref="float"/>, <see cref="double"/>, <see cref="decimal"/>
/// (bound as text, exact), <see cref="string"/>, <c>byte[]</c>, <see cref="Guid"/> (text, "D" form),
/// <see cref="DateTime"/> and <see cref="DateTimeOffset"/> (ISO 8601 text, UTC) or an enum (its number).
/// Query values come back as <see cref="long"/>, <see cref="double"/>, <see cref="string"/>,
/// <c>byte[]</c> or <see langword="null"/>.
/// <para>
/// SQL text may hold several statements; all of them run, in order, in the mutation's transaction, and
/// parameter <c>?N</c> of each takes argument N (docs/determinism.md, "SQL text"). Empty or comment-only
/// text runs nothing.
/// </para>
/// </remarks>
public interface IMutationContext
{
    /// <summary>The timeline the mutation was made on.</summary>
    TimelineId Timeline { get; }

    /// <summary>The mutation's LSN in its timeline.</summary>
    Lsn Lsn { get; }

    /// <summary>The time the mutation was made, recorded with it: the same on every replica.
    /// SQLite's <c>'now'</c> and <c>CURRENT_TIMESTAMP</c> give this time too.</summary>
    DateTimeOffset Now { get; }

    /// <summary>Runs every statement of <paramref name="sql"/> and returns how many rows its INSERT, UPDATE and DELETE statements changed.</summary>
    int Execute(string sql, params object?[] args);

    /// <summary>Runs every statement of <paramref name="sql"/> and returns the rows of the last one that has result columns.</summary>
    IReadOnlyList<object?[]> Query(string sql, params object?[] args);

    /// <summary>Like <see cref="Query(string, object?[])"/>, but returns the first column of the first row, or default when there is none.</summary>
    T? QueryScalar<T>(string sql, params object?[] args);

    // The span overloads take the arguments without an array per call (C# 13 and later pick them for
    // `ctx.Execute(sql, a, b)`); the engine's context runs them directly. Their default implementations copy
    // the arguments into an array, so a context written against the array overloads (a test double) still works.

    /// <summary><see cref="Execute(string, object?[])"/> without an array per call.</summary>
    int Execute(string sql, params ReadOnlySpan<object?> args) => Execute(sql, args.ToArray());

    /// <summary><see cref="Query(string, object?[])"/> without an array per call.</summary>
    IReadOnlyList<object?[]> Query(string sql, params ReadOnlySpan<object?> args) => Query(sql, args.ToArray());

    /// <summary><see cref="QueryScalar{T}(string, object?[])"/> without an array per call.</summary>
    T? QueryScalar<T>(string sql, params ReadOnlySpan<object?> args) => QueryScalar<T>(sql, args.ToArray());

    /// <summary>A new id, random-looking but derived from (timeline, LSN, call count): the same on every replica.</summary>
    Guid NewGuid();

    /// <summary>A deterministic random 64-bit number. SQLite's <c>random()</c> draws from the same generator.</summary>
    long NextInt64();

    /// <summary>A deterministic random number in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    int NextInt32(int minInclusive, int maxExclusive);

    /// <summary>A deterministic random number in [0, 1).</summary>
    double NextDouble();
}
