using System.Diagnostics;
using System.Globalization;
using SQLitePCL;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Storage.Checkpoints;

namespace SqlSync.Benchmarks;

/// <summary>
/// Issue 14 point 5: reads from a document far larger than its page cache (2 GiB, 64 MiB by default) against the same
/// queries on the plain SQLite file with the same pages, and the memory the document holds. The database is written
/// by SQLite (rows of ~1 MiB: a head, a payload in overflow pages), then made a client's checkpoint file.
/// </summary>
internal static class LargeDocumentBench
{
    private const int PayloadBytes = 1024 * 1024 - 1024;
    private const int PointQueries = 20_000;
    private const int PayloadQueries = 200;
    private const string PointSql = "SELECT length(head) FROM big WHERE id = ?1";
    private const string PayloadSql = "SELECT length(substr(payload, ?2, 16)) FROM big WHERE id = ?1";
    private const string ScanSql = "SELECT count(*) FROM big WHERE length(head) = 16 AND substr(payload, ?1, 16) = x'00000000000000000000000000000000'";

    public static int Run(int mib, int cacheMib, Action<string> print)
    {
        Batteries_V2.Init();
        string root = Path.Combine(Path.GetTempPath(), "sqlsync-large-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            string image = Path.Combine(root, "plain.db");
            string client = Path.Combine(root, "client");
            Directory.CreateDirectory(Path.Combine(client, CheckpointStore.DirectoryName));
            var clock = Stopwatch.StartNew();
            WriteImage(image, mib);
            CheckpointWriter.WriteFromImage(new CheckpointStore(client, readOnly: true).PathFor(new Lsn(1)), image, Lsn.Zero, new Lsn(1));
            print($"large-document: {mib} MiB database written twice (plain SQLite file and checkpoint) in {clock.Elapsed.TotalSeconds:0.0} s; page cache {cacheMib} MiB");

            (double Point, double Payload, double Scan) plain = Plain(image, mib);
            GC.Collect();
            long before = ProcessMemory.RssBytes();
            clock.Restart();
            using var document = LocalDocument.Open(new LocalDocumentOptions
            {
                DocumentId = "large",
                Reducer = BenchMutations.Reducer,
                Directory = client,
                PageCacheBytes = cacheMib * 1024L * 1024,
            });
            double open = clock.Elapsed.TotalMilliseconds;
            (double Point, double Payload, double Scan) ours = Measure(mib, (sql, args) => document.QueryScalar<long>(sql, args));
            long peakHeld = ProcessMemory.RssBytes() - before;
            GC.Collect();
            long held = ProcessMemory.RssBytes() - before;
            var cache = document.Database.Storage.PageCache!;
            print($"  open (checks every page of the checkpoint against its hash): {open:0} ms");
            print($"  point lookup ({PointQueries:N0} random rows): SqlSync {ours.Point:0.0} us, plain SQLite {plain.Point:0.0} us, ratio {ours.Point / plain.Point:0.00}");
            print($"  one payload read whole ({PayloadQueries} random rows of 1 MiB): SqlSync {ours.Payload:0.00} ms, plain SQLite {plain.Payload:0.00} ms, ratio {ours.Payload / plain.Payload:0.00}");
            print($"  full scan of every payload ({mib} MiB): SqlSync {ours.Scan:0.0} s ({mib / ours.Scan:0} MiB/s), plain SQLite {plain.Scan:0.0} s ({mib / plain.Scan:0} MiB/s), ratio {ours.Scan / plain.Scan:0.00}");
            print($"  memory held by the open document: RSS +{ProcessMemory.Mib(held)} after a GC (+{ProcessMemory.Mib(peakHeld)} before it); cache {cache.Count:N0} of {cache.Capacity:N0} pages, {cache.Hits:N0} hits, {cache.Misses:N0} misses");
            print($"  {ProcessMemory.Breakdown()}");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static (double Point, double Payload, double Scan) Plain(string image, int mib)
    {
        Check(raw.sqlite3_open_v2(image, out sqlite3 db, raw.SQLITE_OPEN_READONLY, null), db);
        using (db)
        {
            return Measure(mib, (sql, args) =>
            {
                Check(raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement), db);
                using (statement)
                {
                    for (int i = 0; i < args.Length; i++)
                    {
                        raw.sqlite3_bind_int64(statement, i + 1, (long)args[i]!);
                    }

                    if (raw.sqlite3_step(statement) != raw.SQLITE_ROW)
                    {
                        throw new InvalidOperationException(raw.sqlite3_errmsg(db).utf8_to_string());
                    }

                    return raw.sqlite3_column_int64(statement, 0);
                }
            });
        }
    }

    /// <summary>Microseconds per point lookup, milliseconds per payload read, seconds for the full scan.</summary>
    private static (double Point, double Payload, double Scan) Measure(int rows, Func<string, object?[], long> scalar)
    {
        var random = new Random(26);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < PointQueries; i++)
        {
            Expect(16, scalar(PointSql, [(long)random.Next(1, rows + 1)]));
        }

        double point = clock.Elapsed.TotalMicroseconds / PointQueries;
        clock.Restart();
        for (int i = 0; i < PayloadQueries; i++)
        {
            Expect(16, scalar(PayloadSql, [(long)random.Next(1, rows + 1), (long)random.Next(1, PayloadBytes - 16)]));
        }

        double payload = clock.Elapsed.TotalMilliseconds / PayloadQueries;
        clock.Restart();
        Expect(rows, scalar(ScanSql, [(long)PayloadBytes - 16]));
        return (point, payload, clock.Elapsed.TotalSeconds);
    }

    private static void Expect(long expected, long actual)
    {
        if (expected != actual)
        {
            throw new InvalidOperationException($"A query returned {actual}, not {expected}.");
        }
    }

    private static void WriteImage(string path, int rows)
    {
        Check(raw.sqlite3_open(path, out sqlite3 db), db);
        using (db)
        {
            Check(raw.sqlite3_exec(db,
                "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" +
                "CREATE TABLE big(id INTEGER PRIMARY KEY, head BLOB NOT NULL, payload BLOB NOT NULL);" +
                $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows.ToString(CultureInfo.InvariantCulture)}) " +
                $"INSERT INTO big SELECT i, CAST(printf('%016d', i) AS BLOB), zeroblob({PayloadBytes.ToString(CultureInfo.InvariantCulture)}) FROM n;"), db);
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
