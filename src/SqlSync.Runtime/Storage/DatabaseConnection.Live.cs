using System.Text;
using SQLitePCL;

namespace SqlSync.Storage;

/// <summary>Statements kept by live queries: prepared once, run again when their tables change.</summary>
internal sealed partial class DatabaseConnection
{
    /// <summary>
    /// Prepares <paramref name="sql"/>, which must be one read-only statement with result columns, for a
    /// caller that keeps it (and disposes it before this connection). Not cached.
    /// </summary>
    public sqlite3_stmt PrepareRead(string sql, int argumentCount)
    {
        ArgumentNullException.ThrowIfNull(sql);
        byte[] utf8 = Encoding.UTF8.GetBytes(sql);
#pragma warning disable CA2000 // returned to the caller, or disposed below on failure
        int rc = raw.sqlite3_prepare_v2(_db, utf8, out sqlite3_stmt statement, out ReadOnlySpan<byte> tail);
#pragma warning restore CA2000
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw SqliteResult.Failure(rc, _db, Scope, sql);
        }

        string? problem = null;
        if (statement.IsInvalid)
        {
            problem = "holds no statement";
        }
        else if (SqlText.SkipBlank(tail, 0) < tail.Length)
        {
            problem = "holds more than one statement (a live query is one SELECT)";
        }
        else if (raw.sqlite3_stmt_readonly(statement) == 0)
        {
            problem = "would write: change the document through a mutation";
        }
        else if (raw.sqlite3_column_count(statement) == 0)
        {
            problem = "returns no columns";
        }
        else if (raw.sqlite3_bind_parameter_count(statement) != argumentCount)
        {
            problem = $"takes {raw.sqlite3_bind_parameter_count(statement)} parameter(s) but {argumentCount} were given";
        }

        if (problem is not null)
        {
            statement.Dispose();
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"{Scope}The query {problem} (in: {SqliteResult.Abbreviate(sql)}).");
        }

        return statement;
    }

    /// <summary>Runs a statement from <see cref="PrepareRead"/>: its column names (read again each run: a schema change may change them) and rows.</summary>
    public (string[] Columns, List<object?[]> Rows) RunRead(sqlite3_stmt statement, ReadOnlySpan<object?> args, string sql)
    {
        IntPtr handle = statement.DangerousGetHandle();
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                Bind(statement, i + 1, args[i], sql);
            }

            int rc = Vfs.SqliteVfsInterop.Step(handle);
            int count = raw.sqlite3_column_count(statement);
            var columns = new string[count];
            for (int i = 0; i < count; i++)
            {
                columns[i] = raw.sqlite3_column_name(statement, i).utf8_to_string();
            }

            List<object?[]> rows = ReadRows(statement, ref rc);
            if (rc != SQLITE_DONE)
            {
                throw SqliteResult.Failure(rc, _db, Scope, sql);
            }

            return (columns, rows);
        }
        finally
        {
            _ = Vfs.SqliteVfsInterop.Reset(handle);
            raw.sqlite3_clear_bindings(statement);
        }
    }

    /// <summary>
    /// The b-tree root pages the plan of <paramref name="sql"/> opens for reading (<c>EXPLAIN</c>'s
    /// <c>OpenRead</c> and <c>ReopenIdx</c>: tables, and indexes of covering-index plans), or null when the
    /// plan reads something that is no b-tree of the file (a virtual table), whose dependencies are unknown.
    /// </summary>
    public HashSet<long>? ReadRootPages(string sql, ReadOnlySpan<object?> args)
    {
        var roots = new HashSet<long>();

        // Prepared afresh, never cached: an EXPLAIN runs no transaction, so SQLite never notices that the schema
        // changed under a cached one and would list the old plan's root pages.
        var results = new Results(ResultKind.Rows) { ReadOnly = true, Uncached = true };
        RunText("EXPLAIN " + sql, args, ref results);
        foreach (object?[] row in results.Rows ?? new List<object?[]>())
        {
            switch (row[1] as string)
            {
                case "OpenRead" or "ReopenIdx":
                    if (row[4] is long database && database != 0)
                    {
                        return null; // not the main database
                    }

                    roots.Add((long)row[3]!);
                    break;
                case "VOpen":
                    return null;
            }
        }

        return roots;
    }
}
