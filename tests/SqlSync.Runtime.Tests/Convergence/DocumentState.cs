using System.Globalization;
using System.Text;
using SqlSync.Documents;
using SqlSync.Storage;

namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>Reads documents into comparable text, and compares replicas page by page.</summary>
internal static class DocumentState
{
    /// <summary>The user tables and the system tables the tests compare, each with a total order.</summary>
    public static readonly (string Name, string Sql)[] Tables =
    {
        ("items", "SELECT id, name, qty FROM items ORDER BY id"),
        ("facts", "SELECT id, guid, r1, r2, blob, now_text, ctx_now, dbl FROM facts ORDER BY id"),
        ("__sqlsync_rejections", "SELECT timeline_id, lsn, error FROM __sqlsync_rejections ORDER BY timeline_id, lsn"),
        ("__sqlsync_timelines", "SELECT timeline_id, lsn FROM __sqlsync_timelines ORDER BY timeline_id"),
    };

    public static List<string> Rows(Func<string, IReadOnlyList<object?[]>> query, string sql) =>
        query(sql).Select(Format).ToList();

    public static string Format(object?[] row)
    {
        var text = new StringBuilder();
        for (int i = 0; i < row.Length; i++)
        {
            if (i > 0)
            {
                text.Append(" | ");
            }

            text.Append(row[i] switch
            {
                null => "NULL",
                byte[] bytes => "x'" + Convert.ToHexString(bytes) + "'",
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                object o => o.ToString(),
            });
        }

        return text.ToString();
    }

    /// <summary>Null when equal; otherwise a description of the first difference.</summary>
    public static string? DiffRows(string table, IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        int count = Math.Min(expected.Count, actual.Count);
        for (int i = 0; i < count; i++)
        {
            if (expected[i] != actual[i])
            {
                return $"table {table}, row {i}: expected <{expected[i]}> but found <{actual[i]}> ({expected.Count} vs {actual.Count} rows)";
            }
        }

        if (expected.Count != actual.Count)
        {
            string extra = expected.Count > actual.Count ? "missing <" + expected[count] + ">" : "extra <" + actual[count] + ">";
            return $"table {table}: expected {expected.Count} rows but found {actual.Count}; first {extra}";
        }

        return null;
    }

    /// <summary>Null when the committed pages are byte-identical; otherwise the first difference.</summary>
    public static string? DiffPages(PageStorage expected, PageStorage actual)
    {
        if (expected.CommittedSizeInPages != actual.CommittedSizeInPages)
        {
            return $"database size: expected {expected.CommittedSizeInPages} pages but found {actual.CommittedSizeInPages}";
        }

        for (uint page = 1; page <= expected.CommittedSizeInPages; page++)
        {
            ReadOnlySpan<byte> a = expected.CommittedPage(page);
            ReadOnlySpan<byte> b = actual.CommittedPage(page);
            if (!a.SequenceEqual(b))
            {
                int offset = 0;
                while (a[offset] == b[offset])
                {
                    offset++;
                }

                return $"page {page} differs first at byte {offset}";
            }
        }

        return null;
    }

    public static IReadOnlyList<object?[]> Query(LocalDocument document, string sql) => document.Query(sql);

    public static IReadOnlyList<object?[]> Query(CoordinatorDocument document, string sql) => document.Query(sql);
}
