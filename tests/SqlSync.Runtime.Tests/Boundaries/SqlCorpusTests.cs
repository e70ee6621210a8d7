using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SqlSync.Documents;
using Xunit;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// Any script plain SQLite accepts through <c>SqliteCommand.ExecuteNonQuery</c> gives the same database
/// through one <c>ctx.Execute</c> in a mutation; a script it rejects fails the mutation and leaves the
/// document unchanged. The scripts come from sqllogictest (Corpus/README.md).
/// </summary>
public sealed class SqlCorpusTests
{
    private const string SchemaSql =
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE '\\_\\_sqlsync\\_%' ESCAPE '\\' ORDER BY type, name";

    private const string TablesSql =
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_\\_sqlsync\\_%' ESCAPE '\\' ORDER BY name";

    [Fact]
    [Trait("Category", "Boundaries")]
    public void EveryScriptGivesTheDatabasePlainSqliteGives()
    {
        SqlCorpus corpus = SqlCorpus.Read(Path.Combine(AppContext.BaseDirectory, "Corpus", "sqllogictest.corpus"));
        int scripts = 0, rejected = 0, statements = 0;
        foreach (SqlCorpus.Database database in corpus.Databases)
        {
            using var plain = new SqliteConnection("Data Source=:memory:");
            plain.Open();
            using var document = LocalDocument.Open(new LocalDocumentOptions
            {
                DocumentId = "corpus", Reducer = new ScriptReducer(), FsyncOnAppend = false,
            });

            foreach (string script in database.Scripts)
            {
                scripts++;
                statements += script.Count(c => c == '\n'); // at least one line per statement
                string where = $"{database.Name}, script {scripts}:\n{script}";
                SqliteException? plainError = RunPlain(plain, script);
                int pending = document.PendingMutationCount;
                SqlSyncException? documentError = null;
                try
                {
                    document.Mutate(ScriptReducer.RunScript(script));
                }
                catch (SqlSyncException error)
                {
                    documentError = error;
                }

                if (plainError is null)
                {
                    Assert.True(documentError is null, $"Plain SQLite ran it, the document failed ({documentError?.Message}) at {where}");
                }
                else
                {
                    rejected++;
                    Assert.True(documentError is not null, $"Plain SQLite failed ({plainError.Message}), the document ran it at {where}");
                    Assert.Equal(SqlSyncErrorCode.MutationFailed, documentError.Code);
                    Assert.Equal(plainError.SqliteErrorCode, documentError.SqliteResultCode);
                    Assert.Equal(plainError.SqliteExtendedErrorCode, documentError.SqliteExtendedResultCode);
                    Assert.Equal(pending, document.PendingMutationCount); // not recorded
                }

                string expected = Snapshot((sql, args) => QueryPlain(plain, sql, args));
                string actual = Snapshot((sql, args) => document.Query(sql, args));
                Assert.True(expected == actual, $"The databases differ after {where}\n--- plain SQLite\n{expected}\n--- document\n{actual}");
            }
        }

        Assert.True(statements >= 5000, $"The corpus holds only {statements} statement lines.");
        Assert.InRange(rejected, 10, scripts / 2); // both outcomes are exercised
    }

    /// <summary>Runs the script in a transaction, as a mutation runs: all or nothing.</summary>
    private static SqliteException? RunPlain(SqliteConnection connection, string script)
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = script;
        try
        {
            command.ExecuteNonQuery();
            transaction.Commit();
            return null;
        }
        catch (SqliteException error)
        {
            transaction.Rollback();
            return error;
        }
    }

    private static List<object?[]> QueryPlain(SqliteConnection connection, string sql, object?[] args)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            command.Parameters.AddWithValue("?" + (i + 1).ToString(CultureInfo.InvariantCulture), args[i]);
        }

        using SqliteDataReader reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The schema rows and every table's rows, ordered by all their columns, with value types.</summary>
    private static string Snapshot(Func<string, object?[], IReadOnlyList<object?[]>> query)
    {
        var text = new StringBuilder();
        foreach (object?[] row in query(SchemaSql, Array.Empty<object?>()))
        {
            Append(text, row);
        }

        foreach (object?[] table in query(TablesSql, Array.Empty<object?>()))
        {
            string name = (string)table[0]!;
            long columns = (long)query("SELECT count(*) FROM pragma_table_info(?1)", new object?[] { name })[0][0]!;
            string order = string.Join(", ", Enumerable.Range(1, (int)columns));
            text.Append("## ").Append(name).Append('\n');
            foreach (object?[] row in query($"SELECT * FROM \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" ORDER BY {order}", Array.Empty<object?>()))
            {
                Append(text, row);
            }
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, object?[] row)
    {
        foreach (object? value in row)
        {
            text.Append(value switch
            {
                null => "null",
                long l => "i:" + l.ToString(CultureInfo.InvariantCulture),
                double d => "r:" + d.ToString("R", CultureInfo.InvariantCulture),
                string s => "t:" + s,
                byte[] b => "b:" + Convert.ToHexString(b),
                _ => "?:" + value,
            }).Append(" | ");
        }

        text.Append('\n');
    }
}
