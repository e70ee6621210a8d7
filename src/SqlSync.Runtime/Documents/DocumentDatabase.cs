using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;

namespace SqlSync.Documents;

/// <summary>
/// What the local and coordinator documents share: page storage over a storage journal, its file in the
/// page VFS, the writer connection and the mutation applier.
/// </summary>
internal sealed class DocumentDatabase : IDisposable
{
    private readonly TimeSpan _drainTimeout;

    /// <summary>Opens the database over <paramref name="storageJournal"/>, which it owns from here on, also when it throws.</summary>
    public DocumentDatabase(string documentId, string role, IJournal storageJournal, IMutationReducer reducer, TimeSpan drainTimeout)
    {
        DocumentId = documentId;
        _drainTimeout = drainTimeout;
        FileName = DocumentIds.NewFileName(documentId, role);
        bool registered = false;
        try
        {
            Storage = PageStorage.Open(documentId, storageJournal);
            File = PageVfs.Register(FileName, Storage);
            registered = true;
            Connection = DatabaseConnection.Open(FileName, readOnly: false, engineWriter: true);
            Applier = new MutationApplier(Connection, reducer);
        }
        catch
        {
            // A failed open lets go of everything it took, the journal's lock file first of all.
            Connection?.Dispose();
            if (registered)
            {
                PageVfs.Unregister(FileName);
            }

            storageJournal.Dispose();
            throw;
        }
    }

    public string DocumentId { get; }

    public string FileName { get; }

    public PageStorage Storage { get; }

    public PageFile File { get; }

    public DatabaseConnection Connection { get; }

    public MutationApplier Applier { get; }

    /// <summary>An ADO.NET (Microsoft.Data.Sqlite) connection string for read-only access to the current state.</summary>
    public string ReadOnlyConnectionString => $"Data Source=file:{FileName}?vfs={PageVfs.Name};Mode=ReadOnly;Pooling=False";

    /// <summary>
    /// Runs <paramref name="action"/> with every other connection kept out of the file, so it may change
    /// pages under SQLite; the document's own writer connection stays usable inside.
    /// </summary>
    public T WithFileHeld<T>(Func<T> action)
    {
        if (!File.Lock.TryHold(File.EngineWriter, _drainTimeout))
        {
            throw new SqlSyncException(SqlSyncErrorCode.Vfs,
                $"Document '{DocumentId}': readers did not finish their transactions within {_drainTimeout.TotalSeconds:0.#} s.");
        }

        try
        {
            return action();
        }
        finally
        {
            File.Lock.Release();
        }
    }

    /// <summary>The applied LSN of <paramref name="timeline"/> recorded in the document, or null.</summary>
    public Lsn? ReadAppliedLsn(TimelineId timeline)
    {
        if (Connection.QueryScalar<long>(SystemTables.ExistsSql, ReadOnlySpan<object?>.Empty) == 0)
        {
            return null;
        }

        List<object?[]> rows = Connection.Query(SystemTables.AppliedLsnSql, new object?[] { timeline.ToString() });
        return rows.Count == 0 ? null : new Lsn((ulong)(long)rows[0][0]!);
    }

    public void Dispose()
    {
        Connection.Dispose();
        PageVfs.Unregister(FileName);
        Storage.Dispose();
    }
}
