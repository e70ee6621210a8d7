using System.Globalization;
using System.Text;

namespace SqlSync.Runtime.Tests.Vfs;

/// <summary>The same SQL, run against the page VFS and against a plain SQLite file.</summary>
internal static class VfsWorkload
{
    public const string Schema =
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER NOT NULL, c BLOB);" +
        "CREATE INDEX t_a ON t(a); CREATE INDEX t_b ON t(b, a);";

    /// <summary>Batches of SQL text (each run as one transaction), deterministic for a seed.</summary>
    public static IEnumerable<string> Batches(int seed, int rows)
    {
        var random = new Random(seed);
        int id = 0;
        while (id < rows)
        {
            var sql = new StringBuilder("BEGIN;");
            for (int i = 0; i < 1000 && id < rows; i++, id++)
            {
                sql.Append(CultureInfo.InvariantCulture,
                    $"INSERT INTO t(id, a, b, c) VALUES({id}, '{Word(random)}', {random.Next(0, 100_000)}, randomblob_fixed({random.Next(0, 200)}, {id}));");
            }

            sql.Append("COMMIT;");
            yield return sql.ToString();
        }

        yield return "BEGIN; UPDATE t SET b = b + 7, a = a || 'u' WHERE id % 5 = 1; COMMIT;";
        yield return "BEGIN; DELETE FROM t WHERE id % 3 = 0; COMMIT;";
        yield return "VACUUM;";
        var tail = new StringBuilder("BEGIN;");
        for (int i = 0; i < 2000; i++, id++)
        {
            tail.Append(CultureInfo.InvariantCulture, $"INSERT INTO t(id, a, b, c) VALUES({id}, '{Word(random)}', {random.Next(0, 100_000)}, NULL);");
        }

        tail.Append("COMMIT;");
        yield return tail.ToString();
        yield return "BEGIN; DELETE FROM t WHERE b < 50000; COMMIT;";
        yield return "VACUUM;";
    }

    /// <summary>Queries whose results must match exactly.</summary>
    public static readonly string[] Queries =
    {
        "SELECT count(*), sum(b), sum(length(a)), sum(length(c)) FROM t",
        "SELECT substr(a, 1, 2) AS p, count(*), sum(b) FROM t GROUP BY p ORDER BY p",
        "SELECT id, a, b, hex(c) FROM t ORDER BY a, id LIMIT 200",
        "SELECT id, b FROM t WHERE b BETWEEN 60000 AND 60500 ORDER BY b, a",
        "PRAGMA integrity_check",
    };

    private static string Word(Random random)
    {
        int length = random.Next(3, 24);
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = (char)('a' + random.Next(0, 26));
        }

        return new string(chars);
    }
}
