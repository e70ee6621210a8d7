namespace SqlSync.Journals;

/// <summary>
/// The position of one entry in a journal: dense, increasing from the journal's first entry, never reused.
/// A journal that drops a prefix keeps its numbering, so an LSN names one entry forever.
/// </summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    /// <summary>The first LSN of every journal.</summary>
    public static Lsn Zero => default;

    /// <summary>The LSN after this one.</summary>
    public Lsn Next => new(checked(Value + 1));

    /// <inheritdoc />
    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    /// <summary>Compares two LSNs.</summary>
    public static bool operator <(Lsn left, Lsn right) => left.Value < right.Value;
    /// <summary>Compares two LSNs.</summary>
    public static bool operator >(Lsn left, Lsn right) => left.Value > right.Value;
    /// <summary>Compares two LSNs.</summary>
    public static bool operator <=(Lsn left, Lsn right) => left.Value <= right.Value;
    /// <summary>Compares two LSNs.</summary>
    public static bool operator >=(Lsn left, Lsn right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
