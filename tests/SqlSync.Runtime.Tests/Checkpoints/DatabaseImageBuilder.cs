using System.Globalization;
using SQLitePCL;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// Makes a large document fast, without holding it: plain SQLite writes a database of <c>rows</c> rows of about
/// 1 MiB each (a 16-byte head that names the row, and a payload of zeros in a chain of overflow pages, each of
/// which starts with the next one's number, so a wrong page breaks the chain), and the image becomes a client's checkpoint file, as
/// if the client had just joined from it. Nothing here goes through the page view under test.
/// </summary>
internal static class DatabaseImageBuilder
{
    public const int PayloadBytes = 1024 * 1024 - 1024;

    /// <summary>The checkpoint's LSN: the client's storage continues from the next one.</summary>
    public static readonly Lsn CheckpointLsn = new(41);

    /// <summary>Writes <c>{directory}/checkpoints/{LSN}.ckpt</c> holding <paramref name="rows"/> rows; returns its path.</summary>
    public static string WriteClientCheckpoint(string directory, int rows)
    {
        string checkpoints = Path.Combine(directory, CheckpointStore.DirectoryName);
        Directory.CreateDirectory(checkpoints);
        string image = Path.Combine(directory, "image.db");
        WriteImage(image, rows);
        string path = new CheckpointStore(directory, readOnly: true).PathFor(CheckpointLsn);
        CheckpointWriter.WriteFromImage(path, image, Lsn.Zero, CheckpointLsn);
        File.Delete(image);
        return path;
    }

    private static void WriteImage(string path, int rows)
    {
        Batteries_V2.Init();
        Check(raw.sqlite3_open(path, out sqlite3 db), db);
        using (db)
        {
            string sql = "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SystemTables.CreateSql +
                "CREATE TABLE big(id INTEGER PRIMARY KEY, head BLOB NOT NULL, payload BLOB NOT NULL);" +
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows.ToString(CultureInfo.InvariantCulture) + ") " +
                "INSERT INTO big(id, head, payload) SELECT i, CAST(printf('%016d', i) AS BLOB), zeroblob(" +
                PayloadBytes.ToString(CultureInfo.InvariantCulture) + ") FROM n;";
            Check(raw.sqlite3_exec(db, sql), db);
        }
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"SQLite failed ({rc}): {raw.sqlite3_errmsg(db).utf8_to_string()}");
        }
    }
}
