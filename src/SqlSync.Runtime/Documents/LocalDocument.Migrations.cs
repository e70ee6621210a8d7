namespace SqlSync.Documents;

/// <summary>Schema migrations on a client: applied locally until the coordinator's migrated state arrives.</summary>
public sealed partial class LocalDocument
{
    private int _schemaVersion;

    /// <summary>The schema version of this app's mutation set (its highest migration): what the client tells the server at open.</summary>
    public int AppSchemaVersion => _database.Applier.TargetSchemaVersion;

    /// <summary>
    /// The schema version local reads see: the coordinator's, or this app's when the app is newer and has
    /// migrated the document locally (its pending layer) until the coordinator's migrated state arrives.
    /// </summary>
    public int SchemaVersion
    {
        get
        {
            lock (_sync)
            {
                return _schemaVersion;
            }
        }
    }

    /// <summary>
    /// Why the last local migration failed (<see cref="SqlSyncErrorCode.MigrationFailed"/>), or null. The document
    /// then stays at the coordinator's schema; the coordinator, which runs the same migration, will stop the
    /// document the same way.
    /// </summary>
    public SqlSyncException? MigrationError { get; private set; }

    /// <summary>
    /// After a rebase (or at open), before pending mutations are applied again: when this app's mutation set has
    /// migrations the state lacks, runs them in the pending layer, so the app's mutations and reads see its schema
    /// while offline. They are deterministic, so the coordinator's result is the same bytes; the next rebase drops
    /// the local copy and shows the coordinator's. An app older than the document keeps working on the newer
    /// schema (migrations are additive: docs/versioning.md).
    /// </summary>
    private void MigrateLocally()
    {
        MutationApplier applier = _database.Applier;
        int current = applier.ReadSchemaVersion();
        int target = applier.TargetSchemaVersion;
        _schemaVersion = current;
        if (current >= target)
        {
            return;
        }

        var sandbox = _database.Sandbox;
        sandbox.Begin();
        try
        {
            applier.Migrate(current, target);
            sandbox.Commit();
            _schemaVersion = target;
            MigrationError = null;
        }
        catch (SqlSyncException e) when (e.Code == SqlSyncErrorCode.MigrationFailed)
        {
            sandbox.RollbackIfActive();
            MigrationError = e;
        }
        catch
        {
            sandbox.RollbackIfActive();
            throw;
        }
    }
}
