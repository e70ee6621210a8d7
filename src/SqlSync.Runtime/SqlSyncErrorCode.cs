namespace SqlSync;

/// <summary>Why a <see cref="SqlSyncException"/> was thrown. Values are stable; new ones are appended.</summary>
public enum SqlSyncErrorCode
{
    /// <summary>An argument was out of range or malformed.</summary>
    InvalidArgument = 1,

    /// <summary>A journal file is damaged before its tail (a torn tail is repaired, not reported).</summary>
    JournalCorrupt = 100,
    /// <summary>A journal was asked for an LSN it does not hold, or an append was not at its next LSN.</summary>
    JournalOutOfRange = 101,
    /// <summary>A journal's underlying file could not be read or written.</summary>
    JournalIo = 102,
    /// <summary>The journal was disposed.</summary>
    JournalClosed = 103,

    /// <summary>A storage entry failed validation (magic, version, checksum or shape).</summary>
    StorageEntryCorrupt = 200,
    /// <summary>A replica's database checksum differs from the coordinator's for the same LSN.</summary>
    Divergence = 201,
    /// <summary>The SQLite VFS could not be registered or a file could not be opened through it.</summary>
    Vfs = 202,

    /// <summary>A mutation's reducer threw; the mutation was rolled back.</summary>
    MutationFailed = 300,
    /// <summary>A mutation record carries a tag that no reducer knows.</summary>
    UnknownMutationTag = 301,
    /// <summary>A mutation record is truncated or otherwise cannot be decoded.</summary>
    MalformedMutation = 302,
    /// <summary>A SQL statement run by a mutation or by the engine failed in SQLite.</summary>
    Sqlite = 303,
    /// <summary>A nondeterministic facility was used where only deterministic ones are allowed.</summary>
    Nondeterminism = 304,
    /// <summary>A reducer ran SQL its sandbox refuses (transaction control, ATTACH, a state-changing PRAGMA...).</summary>
    MutationRefused = 305,
    /// <summary>A mutation went over a budget of <see cref="Documents.MutationLimits"/> (SQLite VM steps or pages written).</summary>
    MutationOverBudget = 306,
    /// <summary>The coordinator stopped (crashed or was restarted while stuck) twice in a row while applying this mutation; it was rejected, not run again.</summary>
    MutationPoisonPill = 307,

    /// <summary>The document was disposed.</summary>
    DocumentClosed = 400,
    /// <summary>A sync message does not fit the document (wrong timeline, a gap in LSNs).</summary>
    SyncMismatch = 401,

    /// <summary>A replication frame is malformed, oversized, or of an unknown type or version.</summary>
    Protocol = 500,

    /// <summary>A journal was opened read-only (<see cref="Journals.FileJournal.OpenReadOnly"/>) and asked to write.</summary>
    JournalReadOnly = 104,
    /// <summary>A read-only open found the journal's lock held: a server or client has the document open.</summary>
    JournalInUse = 105,
    /// <summary>A checkpoint file failed validation (magic, version, a checksum, its length or a page's hash); the message names the file.</summary>
    CheckpointCorrupt = 106,
    /// <summary>
    /// A replica asked for storage entries the coordinator no longer keeps (dropped behind a checkpoint):
    /// it must start again from the checkpoint.
    /// </summary>
    StorageCompacted = 107,
    /// <summary>
    /// A page delta from the server (decision 0025) was made against a committed view other than this replica's (its
    /// checksum or size before differs): nothing was applied. Full pages would not help: the replica has diverged.
    /// </summary>
    PageDeltaBaseMismatch = 108,
    /// <summary>A page delta from the server is malformed, or its rebuilt pages do not give the entry's checksum: nothing was applied.</summary>
    PageDeltaCorrupt = 109,
    /// <summary>
    /// The coordinator could not write the document's storage (the disk is full, or an I/O error): the
    /// document is paused, nothing acknowledged is lost, and it resumes by itself; retry later.
    /// </summary>
    StorageUnavailable = 402,
    /// <summary>
    /// A write (a local mutation, a rebase, a coordinator step) waited longer than the document's
    /// <c>ReaderDrainTimeout</c> for readers on other connections to end their read transactions. Nothing was
    /// changed; try again once the readers are done.
    /// </summary>
    DocumentBusy = 403,

    /// <summary>A read through a document's query API ran over <see cref="Documents.MutationLimits.MaxVmStepsPerQuery"/> and was stopped.</summary>
    QueryOverBudget = 308,

    /// <summary>
    /// A wait for a document to sync (<see cref="Transport.SqlSyncClient.WaitUntilSyncedAsync"/>) cannot end: the server
    /// opened the document read-only for this client, so its local mutations never upload.
    /// </summary>
    DocumentReadOnly = 404,

    /// <summary>The <see cref="Transport.SqlSyncClient"/> was disposed while a caller waited on it.</summary>
    ClientStopped = 405,

    /// <summary>
    /// The rows of a typed query (<c>Query&lt;T&gt;</c>, <c>Live&lt;T&gt;</c>) do not fit its type: a column matches no
    /// member, a constructor parameter has no column, or a value does not convert. The message names which.
    /// </summary>
    RowMappingMismatch = 407,
    /// <summary>A presence state is larger than the server's limit (<c>MaxPresenceBytes</c>); it was not published.</summary>
    PresenceTooLarge = 408,
    /// <summary>Presence was published for a document this client has not opened on a server, or may not write.</summary>
    PresenceUnavailable = 409,

    /// <summary>
    /// A schema migration threw (or broke the sandbox's rules) on the coordinator: the document is stopped at
    /// its previous schema version, nothing of the failed migrations committed; fix the migration and reopen.
    /// </summary>
    MigrationFailed = 310,
    /// <summary>The document's schema version is newer than every migration this mutation set knows (a downgraded app or server).</summary>
    DocumentSchemaNewer = 311,

    /// <summary>
    /// Another writer of the same document extended the journal first (a conditional create of the next LSN failed
    /// on a shared store, decision 0031): this coordinator is fenced; it stops applying and must reload or close.
    /// </summary>
    JournalFenced = 501,

    /// <summary>The object store refused the credentials (401 or 403): the message says which permissions the journals need.</summary>
    ObjectStoreAccessDenied = 502,
}
