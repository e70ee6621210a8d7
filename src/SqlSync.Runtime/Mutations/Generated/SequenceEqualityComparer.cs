using System.ComponentModel;
namespace SqlSync.Mutations.Generated;

/// <summary>
/// Compares two lists (arrays included) element by element with an element comparer; two nulls are
/// equal. Generated mutation records use it so that records with array or list members have value
/// equality.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SequenceEqualityComparer<T> : IEqualityComparer<IReadOnlyList<T>?>
{
    private readonly IEqualityComparer<T> _elementComparer;

    /// <summary>Creates a comparer that compares elements with <paramref name="elementComparer"/>.</summary>
    public SequenceEqualityComparer(IEqualityComparer<T>? elementComparer = null)
    {
        _elementComparer = elementComparer ?? EqualityComparer<T>.Default;
    }

    /// <inheritdoc />
    public bool Equals(IReadOnlyList<T>? x, IReadOnlyList<T>? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Count != y.Count)
        {
            return false;
        }

        for (int i = 0; i < x.Count; i++)
        {
            if (!_elementComparer.Equals(x[i], y[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public int GetHashCode(IReadOnlyList<T>? obj)
    {
        if (obj is null)
        {
            return 0;
        }

        var hash = new HashCode();
        hash.Add(obj.Count);
        for (int i = 0; i < obj.Count; i++)
        {
            T element = obj[i];
            hash.Add(element is null ? 0 : _elementComparer.GetHashCode(element));
        }

        return hash.ToHashCode();
    }
}
