namespace SqlSync.Journals;

/// <summary>
/// An inclusive range [<see cref="First"/>, <see cref="Last"/>] of LSNs, or empty. An empty range still
/// remembers where the next entry goes (<see cref="Next"/>), because a journal that dropped its whole
/// prefix keeps counting.
/// </summary>
public readonly record struct LsnRange
{
    private LsnRange(Lsn first, ulong count)
    {
        First = first;
        Count = count;
    }

    /// <summary>The first LSN in the range; for an empty range, the LSN the next entry will get.</summary>
    public Lsn First { get; }

    /// <summary>How many LSNs the range holds.</summary>
    public ulong Count { get; }

    /// <summary>True when the range holds no LSN.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The last LSN in the range. Throws for an empty range.</summary>
    public Lsn Last => IsEmpty
        ? throw new InvalidOperationException("An empty LSN range has no last LSN.")
        : new Lsn(First.Value + Count - 1);

    /// <summary>The LSN after the range: where the next entry of a journal with this range goes.</summary>
    public Lsn Next => new(First.Value + Count);

    /// <summary>An empty range before any entry.</summary>
    public static LsnRange Empty => default;

    /// <summary>An empty range whose next LSN is <paramref name="next"/>.</summary>
    internal static LsnRange EmptyAt(Lsn next) => new(next, 0);

    /// <summary>The inclusive range [<paramref name="first"/>, <paramref name="last"/>].</summary>
    internal static LsnRange Inclusive(Lsn first, Lsn last)
    {
        if (last < first)
        {
            throw new ArgumentOutOfRangeException(nameof(last), $"Last LSN {last} is before first LSN {first}.");
        }

        return new LsnRange(first, last.Value - first.Value + 1);
    }

    /// <summary>True when <paramref name="lsn"/> lies inside the range.</summary>
    public bool Contains(Lsn lsn) => lsn >= First && lsn.Value < First.Value + Count;

    /// <summary>The part of this range that is after <paramref name="lsn"/>.</summary>
    internal LsnRange After(Lsn lsn)
    {
        if (lsn < First) return this;
        if (lsn >= Next) return EmptyAt(Next);
        return new LsnRange(lsn.Next, Next.Value - lsn.Next.Value);
    }

    /// <summary>The first <paramref name="count"/> LSNs of this range.</summary>
    internal LsnRange Take(ulong count) => new(First, Math.Min(count, Count));

    /// <inheritdoc />
    public override string ToString() => IsEmpty ? $"[empty, next {First}]" : $"[{First}, {Last}]";
}
