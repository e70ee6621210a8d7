using System.Globalization;
using System.Text;

namespace SqlSync.Testing;

/// <summary>
/// Writes an SQLite value as an SQL literal whose text depends only on the value: integers plain,
/// reals in round-trip form with a decimal point, text quoted (control characters as <c>char(n)</c>),
/// blobs as <c>X'hex'</c>, NULL. Never culture-dependent.
/// </summary>
internal static class SqlLiteral
{
    public static string Format(object? value) => value switch
    {
        null => "NULL",
        long integer => integer.ToString(CultureInfo.InvariantCulture),
        double real => Real(real),
        string text => Text(text),
        byte[] blob => "X'" + Convert.ToHexString(blob) + "'",
        _ => throw new ArgumentException($"SQLite returned a value of type {value.GetType()}, which is not a storage class.", nameof(value)),
    };

    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Real(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "9e999";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-9e999";
        }

        if (double.IsNaN(value))
        {
            return "NULL";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny('.', 'E') >= 0 ? text : text + ".0";
    }

    private static string Text(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        bool open = false;
        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                if (open)
                {
                    text.Append("' || ");
                    open = false;
                }
                else if (text.Length > 0)
                {
                    text.Append(" || ");
                }

                text.Append("char(").Append(((int)c).ToString(CultureInfo.InvariantCulture)).Append(')');
                continue;
            }

            if (!open)
            {
                if (text.Length > 0)
                {
                    text.Append(" || ");
                }

                text.Append('\'');
                open = true;
            }

            text.Append(c == '\'' ? "''" : c.ToString());
        }

        if (open)
        {
            text.Append('\'');
        }

        return text.Length == 0 ? "''" : text.ToString();
    }
}
