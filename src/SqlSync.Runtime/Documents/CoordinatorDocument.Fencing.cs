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

    /// <summary>
    /// Raised once, with no lock held, when the document is fenced, with the error that says why: its host closes it and
    /// tells the operator (so without a handler the document warns itself, and a fence is told once, not twice).
    /// </summary>
    internal event Action<CoordinatorDocument, SqlSyncException>? Fenced;

    /// <summary>Set once fenced or disposed; read without the lock, because links ask while a step holds it.</summary>
    private volatile bool _closedOrFenced;

    /// <summary>
    /// True once the document was closed or fenced: a link still bound to it serves a copy that will never change again,
    /// so it must tell its client to open the document again (and get the host's current copy).
    /// </summary>
    internal bool IsClosedOrFenced => _closedOrFenced;

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
            _closedOrFenced = true;
        }

        if (first)
        {
            if (Fenced is { } fenced)
            {
                fenced(this, error);
            }
            else
            {
                _options.Warning?.Invoke($"{error.Message} ({cause.Message})");
            }
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
