namespace SqlSync.Documents;

/// <summary>
/// The live queries by the tables they read, so that marking after a change looks only at the queries of
/// the tables it wrote (and at those whose tables are unknown), never at every open query. Used under the
/// document lock only.
/// </summary>
internal sealed class LiveQueryIndex
{
    private readonly Dictionary<string, HashSet<ILiveQuery>> _byTable = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<ILiveQuery> _readAnything = new();

    /// <summary>The tables each query is filed under (null: under "anything"), to unfile it exactly.</summary>
    private readonly Dictionary<ILiveQuery, HashSet<string>?> _filed = new();

    /// <summary>How many queries <see cref="Readers"/> handed out: the marking's work.</summary>
    public long Checks { get; private set; }

    public void Add(ILiveQuery query)
    {
        HashSet<string>? tables = query.Tables is null ? null : new HashSet<string>(query.Tables, StringComparer.OrdinalIgnoreCase);
        _filed[query] = tables;
        if (tables is null)
        {
            _readAnything.Add(query);
            return;
        }

        foreach (string table in tables)
        {
            if (!_byTable.TryGetValue(table, out HashSet<ILiveQuery>? readers))
            {
                _byTable[table] = readers = new HashSet<ILiveQuery>();
            }

            readers.Add(query);
        }
    }

    /// <summary>Files the query again under its current tables; nothing for a query not added (yet or any more).</summary>
    public void Update(ILiveQuery query)
    {
        if (Remove(query))
        {
            Add(query);
        }
    }

    public bool Remove(ILiveQuery query)
    {
        if (!_filed.Remove(query, out HashSet<string>? tables))
        {
            return false;
        }

        if (tables is null)
        {
            _readAnything.Remove(query);
            return true;
        }

        foreach (string table in tables)
        {
            if (_byTable.TryGetValue(table, out HashSet<ILiveQuery>? readers) && readers.Remove(query) && readers.Count == 0)
            {
                _byTable.Remove(table);
            }
        }

        return true;
    }

    public void Clear()
    {
        _byTable.Clear();
        _readAnything.Clear();
        _filed.Clear();
    }

    /// <summary>Each query that may read one of <paramref name="written"/>, once (a query reading two written tables is handed out once).</summary>
    public IEnumerable<ILiveQuery> Readers(HashSet<string> written)
    {
        var seen = written.Count > 1 ? new HashSet<ILiveQuery>() : null;
        foreach (string table in written)
        {
            if (_byTable.TryGetValue(table, out HashSet<ILiveQuery>? readers))
            {
                foreach (ILiveQuery query in readers)
                {
                    if (seen is null || seen.Add(query))
                    {
                        Checks++;
                        yield return query;
                    }
                }
            }
        }

        foreach (ILiveQuery query in _readAnything)
        {
            Checks++;
            yield return query;
        }
    }
}
