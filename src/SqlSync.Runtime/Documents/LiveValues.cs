namespace SqlSync.Documents;

/// <summary>Equality of SQLite values as live queries read them (blobs by content): results and arguments.</summary>
internal static class LiveValues
{
    /// <summary>Same number of rows, each the same values (the caller compared the columns).</summary>
    public static bool SameRows(List<object?[]> a, List<object?[]> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (!SameRow(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Same length and the same value at each position.</summary>
    public static bool SameRow(object?[] x, object?[] y)
    {
        if (x.Length != y.Length)
        {
            return false;
        }

        for (int c = 0; c < x.Length; c++)
        {
            bool same = (x[c], y[c]) switch
            {
                (null, null) => true,
                (byte[] p, byte[] q) => p.AsSpan().SequenceEqual(q),
                (object p, object q) => p.GetType() == q.GetType() && p.Equals(q),
                _ => false,
            };
            if (!same)
            {
                return false;
            }
        }

        return true;
    }
}
