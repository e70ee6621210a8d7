namespace SqlSync.Documents;

/// <summary>What <see cref="LiveQueryRegistry"/> asks of a live query, whatever its row type.</summary>
internal interface ILiveQuery
{
    /// <summary>The tables its plan reads (null: unknown, it runs after every change); recomputed after a schema change.</summary>
    HashSet<string>? Tables { get; }

    /// <summary>Set under the document lock when a change may have changed its result.</summary>
    bool Dirty { get; set; }

    /// <summary>Set under the document lock while it waits in the registry's queue.</summary>
    bool Queued { get; set; }

    /// <summary>Someone follows its results: it runs before the queries nobody follows.</summary>
    bool Watched { get; }

    /// <summary>Under the document lock: recomputes <see cref="Tables"/> at its next run.</summary>
    void ForgetTables();

    /// <summary>Under the document lock: runs again when <see cref="Dirty"/>; true when there is something to deliver.</summary>
    bool RunLocked(LiveQueryRegistry registry);

    /// <summary>Outside the document lock, one query at a time per document: hands the newest result (and the current one to new subscribers) over.</summary>
    void Deliver();

    /// <summary>Under the document lock: releases the statement; subscribers are completed outside it.</summary>
    void CloseLocked();

    /// <summary>Outside every lock: tells subscribers the query ended.</summary>
    void Complete();
}
