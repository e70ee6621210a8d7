namespace SqlSync.Documents;

/// <summary>
/// Fencing (decision 0037): when another coordinator of the document extended a journal first (a conditional create
/// lost, <see cref="SqlSyncErrorCode.JournalFenced"/>), this one's history is not the document's. It stops for good:
/// no step, no upload taken or acknowledged, no note written; its host closes it, and the next open reloads the
/// winner's history from the store.
/// </summary>
public sealed partial class CoordinatorDocument
{
    /// <summary>Set once fenced; under <c>_sync</c>.</summary>
    private SqlSyncException? _fenced;

    /// <summary>True once another coordinator took the document over: close it and open it again from the store.</summary>
    internal bool IsFenced
    {
        get
        {
            lock (_sync) return _fenced is not null;
        }
    }

    /// <summary>Raised once, with no lock held, when the document is fenced (its host closes it).</summary>
    internal event Action<CoordinatorDocument>? Fenced;

    private static bool IsFencedError(Exception e) => e is SqlSyncException { Code: SqlSyncErrorCode.JournalFenced };

    /// <summary>Marks the document fenced (the first time: warns and raises <see cref="Fenced"/>); returns the error to throw.</summary>
    private SqlSyncException Fence(Exception cause)
    {
        bool first;
        SqlSyncException error;
        lock (_sync)
        {
            first = _fenced is null;
            _fenced ??= new SqlSyncException(SqlSyncErrorCode.JournalFenced,
                $"Document '{DocumentId}' was taken over by another coordinator (it extended the history first): this one applies and " +
                "acknowledges nothing more; open the document again to continue from the store.", cause);
            error = _fenced;
        }

        if (first)
        {
            _options.Warning?.Invoke($"{error.Message} ({cause.Message})");
            Fenced?.Invoke(this);
        }

        return error;
    }

    /// <summary>Refuses every write once fenced. Under <c>_sync</c>.</summary>
    private void ThrowIfFenced()
    {
        if (_fenced is { } fenced)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalFenced, fenced.Message, fenced.InnerException);
        }
    }
}
