using System.Globalization;
using System.Reflection;

namespace SqlSync.Documents;

/// <summary>
/// Turns result rows into <typeparamref name="T"/>, matching columns to members by name (case and
/// underscores ignored: <c>created_at</c> fills <c>CreatedAt</c>). <c>object?[]</c> takes rows as they are;
/// a scalar type (number, string, bool, Guid, DateTime, enum...) takes a single column; any other type is
/// built through its public parameterless constructor and settable properties, or else its public
/// constructor with the most parameters (a positional record), plus settable properties. Every column must
/// fill a member and every constructor parameter must have a column: anything else is
/// <see cref="SqlSyncErrorCode.RowMappingMismatch"/>, naming the column, the member and the types.
/// </summary>
internal sealed class RowMapper<T>
{
    private readonly string[] _columns;
    private readonly Func<object?[], T> _map;

    private RowMapper(string[] columns, Func<object?[], T> map)
    {
        _columns = columns;
        _map = map;
    }

    /// <summary>True when this mapper was built for exactly these column names.</summary>
    public bool Fits(string[] columns) => columns.AsSpan().SequenceEqual(_columns);

    public T Map(object?[] row) => _map(row);

    public List<T> MapAll(List<object?[]> rows)
    {
        var mapped = new List<T>(rows.Count);
        foreach (object?[] row in rows)
        {
            mapped.Add(_map(row));
        }

        return mapped;
    }

    public static RowMapper<T> Create(string[] columns, string sql)
    {
        if (typeof(T) == typeof(object?[]))
        {
            return new RowMapper<T>(columns, row => (T)(object)row);
        }

        if (IsScalar(typeof(T)))
        {
            if (columns.Length != 1)
            {
                throw Mismatch(sql, $"{typeof(T).Name} takes one column but the query returns {columns.Length} ({string.Join(", ", columns)})");
            }

            string column = columns[0];
            return new RowMapper<T>(columns, row => (T)Convert(row[0], typeof(T), column, typeof(T).Name, sql)!);
        }

        return CreateForObject(columns, sql);
    }

    private static RowMapper<T> CreateForObject(string[] columns, string sql)
    {
        Type type = typeof(T);
        ConstructorInfo? constructor = type.GetConstructor(Type.EmptyTypes)
            ?? type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null && !type.IsValueType)
        {
            throw Mismatch(sql, $"{type.Name} has no public constructor");
        }

        ParameterInfo[] parameters = constructor?.GetParameters() ?? Array.Empty<ParameterInfo>();
        var parameterColumn = new int[parameters.Length];
        var used = new bool[columns.Length];
        for (int p = 0; p < parameters.Length; p++)
        {
            int index = Find(columns, parameters[p].Name!);
            if (index < 0)
            {
                throw Mismatch(sql, $"{type.Name}'s constructor parameter '{parameters[p].Name}' has no column of that name (columns: {string.Join(", ", columns)})");
            }

            parameterColumn[p] = index;
            used[index] = true;
        }

        var setters = new List<(int Column, PropertyInfo Property)>();
        PropertyInfo[] properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        for (int c = 0; c < columns.Length; c++)
        {
            if (used[c])
            {
                continue;
            }

            PropertyInfo? property = properties.FirstOrDefault(p => p.SetMethod is { IsPublic: true } && Normalize(p.Name) == Normalize(columns[c]));
            if (property is null)
            {
                throw Mismatch(sql, $"column '{columns[c]}' matches no constructor parameter or settable property of {type.Name}");
            }

            setters.Add((c, property));
        }

        return new RowMapper<T>(columns, row =>
        {
            var arguments = new object?[parameters.Length];
            for (int p = 0; p < parameters.Length; p++)
            {
                arguments[p] = Convert(row[parameterColumn[p]], parameters[p].ParameterType, columns[parameterColumn[p]], $"{type.Name}({parameters[p].Name})", sql);
            }

            object instance = constructor is null ? Activator.CreateInstance(type)! : constructor.Invoke(arguments);
            foreach ((int column, PropertyInfo property) in setters)
            {
                property.SetValue(instance, Convert(row[column], property.PropertyType, columns[column], $"{type.Name}.{property.Name}", sql));
            }

            return (T)instance;
        });
    }

    private static int Find(string[] columns, string name)
    {
        string wanted = Normalize(name);
        for (int i = 0; i < columns.Length; i++)
        {
            if (Normalize(columns[i]) == wanted)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();

    private static bool IsScalar(Type type)
    {
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(Guid) || t == typeof(DateTime)
            || t == typeof(DateTimeOffset) || t == typeof(DateOnly) || t == typeof(TimeOnly) || t == typeof(TimeSpan) || t == typeof(byte[]);
    }

    /// <summary>A SQLite value (long, double, string, byte[] or null) as <paramref name="target"/>.</summary>
    private static object? Convert(object? value, Type target, string column, string member, string sql)
    {
        Type? underlying = Nullable.GetUnderlyingType(target);
        if (value is null)
        {
            if (target.IsValueType && underlying is null)
            {
                throw Mismatch(sql, $"column '{column}' is NULL but {member} is {target.Name}, which cannot hold null (make it nullable)");
            }

            return null;
        }

        Type t = underlying ?? target;
        if (t.IsInstanceOfType(value))
        {
            return value;
        }

        try
        {
            return (t, value) switch
            {
                (_, _) when t == typeof(bool) && value is long l => l != 0,
                (_, _) when t.IsEnum && value is long l => Enum.ToObject(t, l),
                (_, _) when t.IsEnum && value is string s => Enum.Parse(t, s, ignoreCase: true),
                (_, _) when t == typeof(Guid) && value is string s => Guid.Parse(s),
                (_, _) when t == typeof(Guid) && value is byte[] { Length: 16 } b => new Guid(b),
                (_, _) when t == typeof(DateTime) && value is string s => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                (_, _) when t == typeof(DateTimeOffset) && value is string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                (_, _) when t == typeof(DateOnly) && value is string s => DateOnly.Parse(s, CultureInfo.InvariantCulture),
                (_, _) when t == typeof(TimeOnly) && value is string s => TimeOnly.Parse(s, CultureInfo.InvariantCulture),
                (_, _) when t == typeof(TimeSpan) && value is long l => TimeSpan.FromTicks(l),
                (_, _) when t == typeof(decimal) && value is string s => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                (_, _) when t == typeof(string) && value is long or double => System.Convert.ToString(value, CultureInfo.InvariantCulture),
                (_, _) when value is byte[] || t == typeof(byte[]) => throw new InvalidCastException(),
                _ => CheckedNumber(value, t),
            };
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            throw Mismatch(sql, $"column '{column}' holds {Describe(value)}, which does not convert to {t.Name} for {member}", ex);
        }
    }

    private static object CheckedNumber(object value, Type target)
    {
        if (value is double d && (target == typeof(long) || target == typeof(int) || target == typeof(short)) && Math.Floor(d) != d)
        {
            throw new InvalidCastException(); // never truncate a fraction silently
        }

        return System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }

    private static string Describe(object value) => value switch
    {
        string s => $"text '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        byte[] b => $"a blob of {b.Length} bytes",
        long l => $"integer {l}",
        double d => $"real {d.ToString(CultureInfo.InvariantCulture)}",
        _ => value.GetType().Name,
    };

    private static SqlSyncException Mismatch(string sql, string what, Exception? inner = null) =>
        new(SqlSyncErrorCode.RowMappingMismatch, $"Rows of the query cannot become {typeof(T).Name}: {what} (in: {Storage.SqliteResult.Abbreviate(sql)}).", inner);
}
