using System.Text;
using SQLitePCL;
using SqlSync.Storage.Vfs;

namespace SqlSync.Storage;

/// <summary>
/// Running SQL text: every statement of it, in turn, as Microsoft.Data.Sqlite runs a command's text
/// (docs/determinism.md, "SQL text").
/// </summary>
internal sealed partial class DatabaseConnection
{
    private enum ResultKind
    {
        Changes,
        Rows,
        Scalar,
    }

    /// <summary>Runs every statement of <paramref name="sql"/> and returns the rows their INSERT, UPDATE and DELETE statements changed.</summary>
    public int Execute(string sql, ReadOnlySpan<object?> args)
    {
        var results = new Results(ResultKind.Changes);
        Run(sql, args, ref results);
        return results.Changes;
    }

    /// <summary>Runs every statement of <paramref name="sql"/> and returns the rows of the last one that has result columns.</summary>
    public List<object?[]> Query(string sql, ReadOnlySpan<object?> args)
    {
        var results = new Results(ResultKind.Rows);
        Run(sql, args, ref results);
        return results.Rows ?? new List<object?[]>();
    }

    /// <summary>The first column of the first row <see cref="Query"/> would return, converted to <typeparamref name="T"/>, or default.</summary>
    public T? QueryScalar<T>(string sql, ReadOnlySpan<object?> args)
    {
        var results = new Results(ResultKind.Scalar);
        Run(sql, args, ref results);
        return ConvertTo<T>(results.Scalar);
    }

    /// <summary>
    /// <see cref="Execute"/> for the engine's writes to its own tables (<c>__sqlsync_*</c>): prepared each time
    /// and never cached, so a reducer that runs the same text can never reuse a statement the authorizer
    /// passed for the engine (the sandbox refuses reducers' writes to those tables when it prepares them).
    /// </summary>
    public int ExecuteEngine(string sql, ReadOnlySpan<object?> args)
    {
        var results = new Results(ResultKind.Changes) { Uncached = true };
        RunText(sql, args, ref results);
        return results.Changes;
    }

    /// <summary>
    /// <see cref="Query"/> for the documents' read API, which runs on the writer connection: a statement that
    /// would write is refused before it runs (checked per statement, so no earlier statement wrote either).
    /// Only mutations change a document; a write here would be published as if one had.
    /// </summary>
    public List<object?[]> QueryReadOnly(string sql, ReadOnlySpan<object?> args)
    {
        var results = new Results(ResultKind.Rows) { ReadOnly = true };
        Run(sql, args, ref results);
        return results.Rows ?? new List<object?[]>();
    }

    /// <summary><see cref="QueryScalar"/> for the read API: refuses a statement that would write, as <see cref="QueryReadOnly"/>.</summary>
    public T? QueryScalarReadOnly<T>(string sql, ReadOnlySpan<object?> args)
    {
        var results = new Results(ResultKind.Scalar) { ReadOnly = true };
        Run(sql, args, ref results);
        return ConvertTo<T>(results.Scalar);
    }

    private void Run(string sql, ReadOnlySpan<object?> args, ref Results results)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (_statements.TryGet(sql, out sqlite3_stmt? cached, out bool writes, out int parameters))
        {
            // Only single-statement texts are cached: the hot path of every mutation, without allocations.
            if (parameters != args.Length)
            {
                throw ArgumentCountMismatch(parameters, args.Length, sql);
            }

            RunStatement(cached, args, isLast: true, writes, sql, default, ref results);
            return;
        }

        RunText(sql, args, ref results);
    }

    /// <summary>
    /// Prepares the statements of <paramref name="sql"/> one after another from the tail (a statement may
    /// depend on the one before it, as an INSERT on the CREATE TABLE before it) and runs each. A text that
    /// is one statement is cached; the statements of a longer text are finalized once run.
    /// </summary>
    private void RunText(string sql, ReadOnlySpan<object?> args, ref Results results)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(sql);
        int start = SqlText.SkipBlank(utf8, 0);
        int number = 0;
        int mostParameters = 0;
        while (start < utf8.Length)
        {
#pragma warning disable CA2000 // disposed on every path below: at once when skipped or failed, else in the finally unless the cache took it
            int rc = raw.sqlite3_prepare_v2(_db, utf8.AsSpan(start), out sqlite3_stmt statement, out ReadOnlySpan<byte> tail);
#pragma warning restore CA2000
            int end = utf8.Length - tail.Length;
            if (rc != raw.SQLITE_OK)
            {
                statement?.Dispose();
                throw SqliteResult.Failure(rc, _db, Scope, Encoding.UTF8.GetString(utf8, start, utf8.Length - start));
            }

            int next = SqlText.SkipBlank(utf8, end);
            if (statement.IsInvalid)
            {
                statement.Dispose(); // only what SQLite skips (SkipBlank is conservative)
                start = Math.Max(next, end);
                continue;
            }

            number++;
            bool isLast = next >= utf8.Length;
            bool owned = false;
            try
            {
                int parameters = raw.sqlite3_bind_parameter_count(statement);
                mostParameters = Math.Max(mostParameters, parameters);
                if (parameters > args.Length)
                {
                    throw number == 1 && isLast
                        ? ArgumentCountMismatch(parameters, args.Length, sql)
                        : new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                            $"{Scope}Statement {number} of the text takes {parameters} parameter(s) but only {args.Length} were given (in: {SqliteResult.Abbreviate(Encoding.UTF8.GetString(utf8, start, end - start))}).");
                }

                if (isLast && mostParameters < args.Length)
                {
                    throw UnusedArguments(mostParameters, args.Length, number, sql);
                }

                bool writes = raw.sqlite3_stmt_readonly(statement) == 0;
                owned = number == 1 && isLast && !results.Uncached && _statements.Add(sql, statement, writes, parameters);
                ReadOnlySpan<byte> text = number == 1 && isLast ? default : utf8.AsSpan(start, end - start);
                RunStatement(statement, args[..parameters], isLast, writes, sql, text, ref results);
            }
            finally
            {
                if (!owned)
                {
                    statement.Dispose();
                }
            }

            start = next;
        }

        if (mostParameters < args.Length)
        {
            throw UnusedArguments(mostParameters, args.Length, number, sql);
        }
    }

    /// <summary>
    /// Binds, steps to the end and resets one statement. In <see cref="ResultKind.Scalar"/> the last
    /// statement stops at its first row: a query's later rows cannot change anything.
    /// </summary>
    private void RunStatement(sqlite3_stmt statement, ReadOnlySpan<object?> args, bool isLast, bool writes, string sql, ReadOnlySpan<byte> statementText, ref Results results)
    {
        // Stepped and reset on the raw handle (SqliteVfsInterop: no SafeHandle round trip per call); the
        // caller keeps the statement alive until this returns.
        if (writes && results.ReadOnly)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"{Scope}The read API does not write: change the document through a mutation (in: {SqliteResult.Abbreviate(statementText.IsEmpty ? sql : Encoding.UTF8.GetString(statementText))}).");
        }

        IntPtr handle = statement.DangerousGetHandle();
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                Bind(statement, i + 1, args[i], sql);
            }

            // sqlite3_changes keeps its value across statements that change no rows (a CREATE, a SELECT):
            // it is counted only when the statement moved the total. Read-only statements (SELECT, BEGIN,
            // COMMIT) cannot, so they skip both calls.
            bool countChanges = writes && results.Kind == ResultKind.Changes;
            IntPtr db = _db.DangerousGetHandle(); // the connection outlives every statement it runs
            int totalBefore = countChanges ? SqliteVfsInterop.TotalChanges(db) : 0;
            int rc = SqliteVfsInterop.Step(handle);
            if (results.Kind != ResultKind.Changes && raw.sqlite3_column_count(statement) > 0)
            {
                if (results.Kind == ResultKind.Rows)
                {
                    results.Rows = ReadRows(statement, ref rc);
                }
                else
                {
                    results.Scalar = rc == SQLITE_ROW ? ReadColumn(statement, 0) : null;
                    if (isLast && rc == SQLITE_ROW)
                    {
                        return;
                    }
                }
            }

            while (rc == SQLITE_ROW)
            {
                rc = raw.sqlite3_step(statement);
            }

            if (rc != SQLITE_DONE)
            {
                throw SqliteResult.Failure(rc, _db, Scope, statementText.IsEmpty ? sql : Encoding.UTF8.GetString(statementText));
            }

            if (countChanges && SqliteVfsInterop.TotalChanges(db) != totalBefore)
            {
                results.Changes += SqliteVfsInterop.Changes(db);
            }
        }
        finally
        {
            _ = SqliteVfsInterop.Reset(handle); // its result repeats the step's, already handled
        }
    }

    private static List<object?[]> ReadRows(sqlite3_stmt statement, ref int rc)
    {
        var rows = new List<object?[]>();
        int columns = raw.sqlite3_column_count(statement);
        while (rc == SQLITE_ROW)
        {
            var row = new object?[columns];
            for (int i = 0; i < columns; i++)
            {
                row[i] = ReadColumn(statement, i);
            }

            rows.Add(row);
            rc = raw.sqlite3_step(statement);
        }

        return rows;
    }

    private SqlSyncException ArgumentCountMismatch(int parameters, int given, string sql) =>
        new(SqlSyncErrorCode.InvalidArgument,
            $"{Scope}The statement takes {parameters} parameter(s) but {given} were given (in: {SqliteResult.Abbreviate(sql)}).");

    private SqlSyncException UnusedArguments(int mostParameters, int given, int statements, string sql) =>
        new(SqlSyncErrorCode.InvalidArgument, statements switch
        {
            0 => $"{Scope}The text holds no statement but {given} argument(s) were given (in: {SqliteResult.Abbreviate(sql)}).",
            1 => $"{Scope}The statement takes {mostParameters} parameter(s) but {given} were given (in: {SqliteResult.Abbreviate(sql)}).",
            _ => $"{Scope}{given} argument(s) were given but none of the text's {statements} statements takes more than {mostParameters} (in: {SqliteResult.Abbreviate(sql)}).",
        });

    /// <summary>What a run gives back; <see cref="Rows"/> and <see cref="Scalar"/> are those of the last statement with result columns.</summary>
    private struct Results
    {
        public Results(ResultKind kind)
        {
            Kind = kind;
        }

        public ResultKind Kind { get; }

        public int Changes { get; set; }

        public List<object?[]>? Rows { get; set; }

        public object? Scalar { get; set; }

        /// <summary>The read API: a statement that would write is refused before it runs.</summary>
        public bool ReadOnly { get; init; }

        /// <summary>The engine's writes to its own tables: never taken from or put into the cache.</summary>
        public bool Uncached { get; init; }
    }
}
