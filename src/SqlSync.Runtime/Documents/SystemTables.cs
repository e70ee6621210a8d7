namespace SqlSync.Documents;

/// <summary>The tables SqlSync keeps inside every document, written only by the coordinator.</summary>
internal static class SystemTables
{
    /// <summary>How far the coordinator has applied each timeline; committed with the mutations' effects.</summary>
    public const string Timelines = "__sqlsync_timelines";

    /// <summary>Mutations the coordinator applied and rejected because their reducer threw, with the error.</summary>
    public const string Rejections = "__sqlsync_rejections";

    public const string CreateSql =
        "CREATE TABLE IF NOT EXISTS __sqlsync_timelines(timeline_id TEXT PRIMARY KEY NOT NULL, lsn INTEGER NOT NULL) WITHOUT ROWID;" +
        "CREATE TABLE IF NOT EXISTS __sqlsync_rejections(timeline_id TEXT NOT NULL, lsn INTEGER NOT NULL, error TEXT NOT NULL, PRIMARY KEY(timeline_id, lsn)) WITHOUT ROWID;";

    public const string UpsertTimelineSql =
        "INSERT INTO __sqlsync_timelines(timeline_id, lsn) VALUES(?1, ?2) ON CONFLICT(timeline_id) DO UPDATE SET lsn = excluded.lsn";

    public const string InsertRejectionSql =
        "INSERT OR REPLACE INTO __sqlsync_rejections(timeline_id, lsn, error) VALUES(?1, ?2, ?3)";

    /// <summary>
    /// Keeps the newest ?2 rejections of timeline ?1 (a primary-key range delete): the table follows the number of
    /// timelines, not the history. A client offline across more than ?2 rejections of its own learns of the newest.
    /// </summary>
    public const string TrimRejectionsSql =
        "DELETE FROM __sqlsync_rejections WHERE timeline_id = ?1 AND lsn <= " +
        "(SELECT lsn FROM __sqlsync_rejections WHERE timeline_id = ?1 ORDER BY lsn DESC LIMIT 1 OFFSET ?2)";

    public const string ExistsSql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__sqlsync_timelines'";

    public const string AppliedLsnSql = "SELECT lsn FROM __sqlsync_timelines WHERE timeline_id = ?1";

    public const string AllAppliedSql = "SELECT timeline_id, lsn FROM __sqlsync_timelines";

    public const string RejectionsInRangeSql =
        "SELECT lsn, error FROM __sqlsync_rejections WHERE timeline_id = ?1 AND lsn >= ?2 AND lsn <= ?3 ORDER BY lsn";

    /// <summary>
    /// The document's schema version: the highest migration applied. Created by the first migration, so a
    /// document of a mutation set without migrations has no such table (version 0) and its bytes do not change.
    /// </summary>
    public const string Schema = "__sqlsync_schema";

    public const string CreateSchemaSql =
        "CREATE TABLE IF NOT EXISTS __sqlsync_schema(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)";

    public const string SchemaExistsSql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__sqlsync_schema'";

    public const string SchemaVersionSql = "SELECT version FROM __sqlsync_schema WHERE id = 1";

    public const string SetSchemaVersionSql =
        "INSERT INTO __sqlsync_schema(id, version) VALUES(1, ?1) ON CONFLICT(id) DO UPDATE SET version = excluded.version";
}
