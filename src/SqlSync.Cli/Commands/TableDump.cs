using System.Globalization;
using System.Text;
using System.Text.Json;
using SqlSync.Documents;

namespace SqlSync.Cli.Commands;

/// <summary>Writes a document's user tables as SQL statements or JSON, rows in primary-key order.</summary>
internal static class TableDump
{
    public static void WriteSql(DocumentInspector document, IReadOnlyList<string> tables, TextWriter output)
    {
        output.WriteLine("-- SqlSync document dump");
        output.WriteLine("BEGIN;");
        foreach (string table in tables)
        {
            string create = (string)document.Query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", table)[0][0]!;
            output.WriteLine(create + ";");
            foreach (object?[] row in Rows(document, table, out _))
            {
                output.WriteLine($"INSERT INTO {Quote(table)} VALUES({string.Join(", ", row.Select(SqlLiteral))});");
            }

            foreach (object?[] index in document.Query("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name", table))
            {
                output.WriteLine((string)index[0]! + ";");
            }
        }

        output.WriteLine("COMMIT;");
    }

    public static void WriteJson(DocumentInspector document, IReadOnlyList<string> tables, Stream output)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        foreach (string table in tables)
        {
            writer.WritePropertyName(table);
            writer.WriteStartArray();
            foreach (object?[] row in Rows(document, table, out IReadOnlyList<string> columns))
            {
                writer.WriteStartObject();
                for (int i = 0; i < columns.Count; i++)
                {
                    writer.WritePropertyName(columns[i]);
                    switch (row[i])
                    {
                        case null: writer.WriteNullValue(); break;
                        case long l: writer.WriteNumberValue(l); break;
                        case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
                        case double d: writer.WriteStringValue(d.ToString("R", CultureInfo.InvariantCulture)); break;
                        case byte[] b: writer.WriteBase64StringValue(b); break;
                        default: writer.WriteStringValue(Convert.ToString(row[i], CultureInfo.InvariantCulture)); break;
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static IReadOnlyList<object?[]> Rows(DocumentInspector document, string table, out IReadOnlyList<string> columns)
    {
        IReadOnlyList<object?[]> info = document.Query($"SELECT name, pk FROM pragma_table_info({SqlLiteral(table)}) ORDER BY cid");
        columns = info.Select(c => (string)c[0]!).ToArray();
        string[] key = info.Where(c => (long)c[1]! > 0).OrderBy(c => (long)c[1]!).Select(c => Quote((string)c[0]!)).ToArray();
        bool withoutRowId = document.Query("SELECT 1 FROM sqlite_master WHERE name = ?1 AND sql LIKE '%WITHOUT ROWID%'", table).Count > 0;
        string order = key.Length > 0 ? string.Join(", ", key) : withoutRowId ? string.Join(", ", columns.Select(Quote)) : "rowid";
        return document.Query($"SELECT {string.Join(", ", columns.Select(Quote))} FROM {Quote(table)} ORDER BY {order}");
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string SqlLiteral(object? value) => value switch
    {
        null => "NULL",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        byte[] b => "X'" + Convert.ToHexString(b) + "'",
        _ => "'" + Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace("'", "''", StringComparison.Ordinal) + "'",
    };
}
