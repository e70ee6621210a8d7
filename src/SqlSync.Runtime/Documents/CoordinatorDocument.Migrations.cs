namespace SqlSync.Documents;

/// <summary>Schema migrations on the coordinator: applied at open, once, in order, in one step.</summary>
public sealed partial class CoordinatorDocument
{
    /// <summary>The oldest client app schema version this document's mutation set serves (0: every version).</summary>
    public int MinimumClientSchemaVersion => (_options.Reducer as IMutationMigrations)?.MinimumClientSchemaVersion ?? 0;

    /// <summary>
    /// True when this document's reducer knows <paramref name="tag"/> (it names it through <see cref="IMutationNames"/>);
    /// true for every tag when the reducer cannot say. A record of an unknown tag is refused at upload (the server is
    /// older than the client) rather than applied and rejected.
    /// </summary>
    internal bool KnowsMutationTag(uint tag) =>
        _options.Reducer is not IMutationNames names || names.GetMutationName(tag) is not null;

    /// <summary>The document's schema version: the highest migration applied (0 when its mutation set has none).</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>
    /// Applies the migrations the reducer has and the document lacks, in one SQLite transaction published as one
    /// storage entry (the step discipline): a crash before the entry is appended loses the whole migration and
    /// the next open runs it again; after, it is done and never runs again. A failing migration rolls everything
    /// back and the open fails with <see cref="SqlSyncErrorCode.MigrationFailed"/>: the document stays whole at
    /// its previous version. A document newer than the reducer fails with <see cref="SqlSyncErrorCode.DocumentSchemaNewer"/>.
    /// </summary>
    private void ApplyMigrations()
    {
        MutationApplier applier = _database.Applier;
        int current = applier.ReadSchemaVersion();
        int target = applier.TargetSchemaVersion;
        SchemaVersion = current;
        if (current > target)
        {
            throw new SqlSyncException(SqlSyncErrorCode.DocumentSchemaNewer,
                $"Document '{_options.DocumentId}' is at schema version {current}, but this mutation set's migrations go up to {target}: " +
                "it was migrated by a newer version of the app; run that version (or newer).");
        }

        if (current == target)
        {
            return;
        }

        FaultInjection ??= _options.FaultInjectionAtOpen;
        var sandbox = _database.Sandbox;
        sandbox.Begin();
        try
        {
            applier.Migrate(current, target);
            InjectFault(CoordinatorStepPoint.BeforeSqliteCommit);
            sandbox.Commit();
        }
        catch
        {
            sandbox.RollbackIfActive();
            _database.Storage.Revert();
            throw;
        }

        InjectFault(CoordinatorStepPoint.AfterSqliteCommit);
        PublishPages();
        SchemaVersion = target;
        if (ReferenceEquals(FaultInjection, _options.FaultInjectionAtOpen))
        {
            FaultInjection = null;
        }
    }
}
