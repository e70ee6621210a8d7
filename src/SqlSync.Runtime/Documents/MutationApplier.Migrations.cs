using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage.Vfs;

namespace SqlSync.Documents;

/// <summary>Schema migrations: run like mutations (sandbox, deterministic context), recorded in <c>__sqlsync_schema</c>.</summary>
internal sealed partial class MutationApplier
{
    /// <summary>The schema version the reducer's mutation set expects: its highest migration, or 0.</summary>
    public int TargetSchemaVersion => (_reducer as IMutationMigrations)?.SchemaVersion ?? 0;

    /// <summary>The schema version of the state the connection sees: the highest migration applied, or 0.</summary>
    public int ReadSchemaVersion()
    {
        if (_connection.QueryScalar<long>(SystemTables.SchemaExistsSql, ReadOnlySpan<object?>.Empty) == 0)
        {
            return 0;
        }

        return (int)_connection.QueryScalar<long>(SystemTables.SchemaVersionSql, ReadOnlySpan<object?>.Empty);
    }

    /// <summary>
    /// Runs migrations <paramref name="from"/> + 1 to <paramref name="to"/> in order inside the caller's
    /// transaction and records <paramref name="to"/>. Each runs with timeline 0, LSN = its number and time 0, so
    /// every replica gets the same bytes. A migration that throws (or breaks the sandbox's rules) throws
    /// <see cref="SqlSyncErrorCode.MigrationFailed"/>: the caller rolls the whole transaction back.
    /// </summary>
    public void Migrate(int from, int to)
    {
        var migrations = (IMutationMigrations)_reducer;
        _connection.ExecuteEngine(SystemTables.CreateSchemaSql, ReadOnlySpan<object?>.Empty);
        for (int version = from + 1; version <= to; version++)
        {
            _context.Begin(default, new Lsn((ulong)version), 0);
            PageVfs.SetMutationTime(0);
            _connection.InReducer = true;
            Exception? failure = null;
            string? violation;
            // Migrations may rewrite whole tables: no step or page budget (they are the app's own code, not a client's).
            _sandbox.Enter(long.MaxValue, int.MaxValue);
            try
            {
                migrations.Migrate(_context, version);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                violation = _sandbox.Exit(flush: false);
                _connection.InReducer = false;
                PageVfs.ClearMutationTime();
            }

            if (violation is not null)
            {
                failure = new SqlSyncException(_sandbox.ViolationCode, $"Refused: {violation}.", failure);
            }

            if (failure is not null)
            {
                throw new SqlSyncException(SqlSyncErrorCode.MigrationFailed,
                    $"Schema migration {version} ({migrations.GetMigrationName(version)}) failed: {Describe(failure)}. " +
                    $"The document stays at schema version {from}; nothing of migrations {from + 1}-{to} was kept.", failure);
            }
        }

        _connection.ExecuteEngine(SystemTables.SetSchemaVersionSql, new object?[] { (long)to });
    }
}
