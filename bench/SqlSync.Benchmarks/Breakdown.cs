using System.Diagnostics;
using SQLitePCL;
using SqlSync.Documents;
using SqlSync.Storage;

namespace SqlSync.Benchmarks;

/// <summary>
/// Where the time of a local <c>Mutate</c> and of a batched coordinator step goes, by ablation: the same
/// single-row INSERT run through successively more of the engine, each timed with a Stopwatch
/// (<c>engine-breakdown</c>). Differences between adjacent lines are the cost of the layer added.
/// </summary>
internal static class Breakdown
{
    private const int Batch = 256;

    /// <summary>Runs the ablation and returns it as a Markdown table.</summary>
    public static string Run(int ops, int rounds, Action<string>? log = null, int warmupRounds = 1)
    {
        var steps = new (string Name, Func<int, double> Trial)[]
        {
            ("raw :memory:, prepared BEGIN/INSERT/COMMIT", RawPrepared),
            ("raw :memory:, sqlite3_exec BEGIN/COMMIT", RawExec),
            ("raw prepared, unix VFS file, journal_mode=MEMORY, synchronous=OFF", RawUnixFileNoSync),
            ("raw prepared, engine page VFS (same pragmas as the engine)", c => RawOnPageVfs(c, exclusive: false)),
            ("raw prepared, engine page VFS, locking_mode=EXCLUSIVE", c => RawOnPageVfs(c, exclusive: true)),
            ("engine connection on page VFS, lock kept, exec BEGIN/COMMIT", ConnectionExec),
            ("engine connection on page VFS, lock kept, sandbox BEGIN/COMMIT", ConnectionCached),
            ("local Mutate, memory journals", LocalMutateBench.LocalMemoryTrial),
            ("raw :memory:, 256 INSERTs per tx", RawBatched),
            ("coordinator connection, 256 INSERTs per tx, no savepoints, publish", c => CoordinatorConnection(c, Batch, savepoints: false, publish: true)),
            ("coordinator connection, 256 INSERTs per tx, savepoints, publish", c => CoordinatorConnection(c, Batch, savepoints: true, publish: true)),
            ("coordinator StepAll(256), memory journals", c => CoordinatorBench.Trial(c, Batch, file: false)),
            ("coordinator connection, 1 INSERT per tx, no publish", c => CoordinatorConnection(c / 4, 1, savepoints: false, publish: false)),
            ("coordinator connection, 1 INSERT per tx, publish", c => CoordinatorConnection(c / 4, 1, savepoints: false, publish: true)),
            ("coordinator Step(1), memory journals", c => CoordinatorBench.Trial(c / 4, 1, file: false)),
        };
        var rows = new Rounds();
        var allocated = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, Func<int, double> trial) in steps)
        {
            rows.Add(name, () =>
            {
                Timing.LastBytesAllocatedPerOp = double.NaN; // stays so for trials that time themselves (coordinator steps)
                double rate = trial(ops);
                allocated[name] = Timing.LastBytesAllocatedPerOp; // the same every round: the last is kept
                return rate;
            });
        }

        Dictionary<string, Samples> results = rows.Run(warmupRounds, rounds, log);
        var table = new System.Text.StringBuilder();
        table.AppendLine("| Step | median µs per INSERT | ops/s | managed bytes allocated per INSERT |");
        table.AppendLine("|---|---:|---:|---:|");
        foreach ((string name, _) in steps)
        {
            table.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"| {name} | {1e6 / results[name].Median:0.00} | {results[name].Median:N0} | {(double.IsNaN(allocated[name]) ? "—" : allocated[name].ToString("0", System.Globalization.CultureInfo.InvariantCulture))} |");
        }

        return table.ToString();
    }

    private static double RawPrepared(int ops) => LocalMutateBench.RawMemoryTrial(ops);

    private static double RawUnixFileNoSync(int ops)
    {
        using var temp = new TempRoot("raw-nosync");
        using var db = RawSqlite.OpenWith(temp.Sub("bench.db"), null, "PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF");
        return Timing.OpsPerSecond(ops, id => db.InsertInOwnTransaction(id, BenchMutations.RowText));
    }

    private static double RawOnPageVfs(int ops, bool exclusive)
    {
        // A file of its own, opened as its writer: only the writer (the one open with the secret) may write.
        string name = $"bench-raw-vfs-{Guid.NewGuid():N}";
#pragma warning disable CA2000 // the page storage owns the journal it opens over, and disposes it
        using var storage = Storage.PageStorage.Open(name, new Journals.MemoryJournal());
#pragma warning restore CA2000
        Storage.Vfs.PageFile file = Storage.Vfs.PageVfs.Register(name, storage);
        try
        {
            using var db = RawSqlite.OpenWith(Storage.Vfs.PageVfs.WriterUri(file), Storage.Vfs.PageVfs.Name,
                "PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-16384",
                exclusive ? "PRAGMA locking_mode=EXCLUSIVE" : "PRAGMA locking_mode=NORMAL");
            return Timing.OpsPerSecond(ops, id => db.InsertInOwnTransaction(id, BenchMutations.RowText));
        }
        finally
        {
            Storage.Vfs.PageVfs.Unregister(name);
        }
    }

    private static double RawExec(int ops)
    {
        Batteries_V2.Init();
        raw.sqlite3_open(":memory:", out sqlite3 db);
        using (db)
        {
            raw.sqlite3_exec(db, BenchMutations.CreateTableSql);
            raw.sqlite3_prepare_v2(db, BenchMutations.InsertSql, out sqlite3_stmt insert);
            using (insert)
            {
                return Timing.OpsPerSecond(ops, id =>
                {
                    raw.sqlite3_exec(db, "BEGIN");
                    raw.sqlite3_bind_int64(insert, 1, id);
                    raw.sqlite3_bind_text(insert, 2, BenchMutations.RowText);
                    raw.sqlite3_step(insert);
                    raw.sqlite3_reset(insert);
                    raw.sqlite3_exec(db, "COMMIT");
                });
            }
        }
    }

    // Transaction control is the sandbox's (the authorizer refuses it from anything else): BEGIN and COMMIT
    // through sqlite3_exec, or through the sandbox's prepared statements as a Mutate runs them.
    private static double ConnectionExec(int ops) => OnLocalConnection(ops, (database, id) =>
    {
        database.Sandbox.RunEngineScript("BEGIN");
        database.Connection.Execute(BenchMutations.InsertSql, new object?[] { id, BenchMutations.RowText });
        database.Sandbox.RunEngineScript("COMMIT");
    });

    private static double ConnectionCached(int ops) => OnLocalConnection(ops, (database, id) =>
    {
        database.Sandbox.Begin();
        database.Connection.Execute(BenchMutations.InsertSql, new object?[] { id, BenchMutations.RowText });
        database.Sandbox.Commit();
    });

    private static double OnLocalConnection(int ops, Action<DocumentDatabase, long> op)
    {
        using LocalDocument document = LocalMutateBench.OpenLocal(directory: null);
        document.Mutate(new BenchMutations.CreateTable());
        DocumentDatabase database = document.Database;
        database.BeginKeepingLock(); // as Mutate does
        return Timing.OpsPerSecond(ops, id => op(database, id));
    }

    private static double RawBatched(int ops)
    {
        Batteries_V2.Init();
        raw.sqlite3_open(":memory:", out sqlite3 db);
        using (db)
        {
            raw.sqlite3_exec(db, BenchMutations.CreateTableSql);
            raw.sqlite3_prepare_v2(db, BenchMutations.InsertSql, out sqlite3_stmt insert);
            using (insert)
            {
                return BatchedOpsPerSecond(ops, Batch, () => raw.sqlite3_exec(db, "BEGIN"), id =>
                {
                    raw.sqlite3_bind_int64(insert, 1, id);
                    raw.sqlite3_bind_text(insert, 2, BenchMutations.RowText);
                    raw.sqlite3_step(insert);
                    raw.sqlite3_reset(insert);
                }, () => raw.sqlite3_exec(db, "COMMIT"));
            }
        }
    }

    private static double CoordinatorConnection(int ops, int batch, bool savepoints, bool publish)
    {
        using CoordinatorDocument coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "bench", Reducer = BenchMutations.Reducer });
        DocumentDatabase database = coordinator.Database;
        DatabaseConnection connection = database.Connection;
        connection.ExecuteScript(BenchMutations.CreateTableSql);
        return BatchedOpsPerSecond(ops, batch, database.Sandbox.Begin, id =>
        {
            if (savepoints)
            {
                database.Sandbox.Savepoint();
            }

            connection.Execute(BenchMutations.InsertSql, new object?[] { id, BenchMutations.RowText });
            if (savepoints)
            {
                database.Sandbox.ReleaseSavepoint();
            }
        }, () =>
        {
            database.Sandbox.Commit();
            if (publish)
            {
                database.WithFileHeld(() => database.Storage.Commit());
            }
        });
    }

    private static double BatchedOpsPerSecond(int ops, int batch, Action begin, Action<long> op, Action commit)
    {
        long id = 0;
        int i = 0;
        return Timing.OpsPerSecond(ops, _ =>
        {
            if (i++ % batch == 0)
            {
                if (id > 0)
                {
                    commit();
                }

                begin();
            }

            op(++id);
        });
    }
}
