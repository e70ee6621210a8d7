using SQLitePCL;
using SqlSync.Documents;

namespace SqlSync.Storage;

/// <summary>
/// A bounded least-recently-used cache of prepared statements, keyed by SQL text. Only texts that hold a
/// single statement are cached. A statement that falls out is finalized, so distinct texts (interpolated
/// literals, ad-hoc queries) cannot grow SQLite's heap without bound. Not thread-safe: its connection's
/// owner serializes calls.
/// </summary>
internal sealed class StatementCache : IDisposable
{
    /// <summary>The default capacity of both documents' caches.</summary>
    public const int DefaultCapacity = 128;

    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);

    /// <summary>Most recently used first.</summary>
    private readonly LinkedList<Entry> _order = new();
    /// <summary>
    /// The most recently used entry (the head of <see cref="_order"/>), checked by reference before the
    /// dictionary: a reducer passes the same literal string every time, so a repeated statement skips
    /// hashing its text. Null when the cache is empty.
    /// </summary>
    private LinkedListNode<Entry>? _last;
    private long _hits;
    private long _misses;
    private long _evictions;

    public StatementCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>How many statements it keeps; 0 caches nothing.</summary>
    public int Capacity { get; }

    public StatementCacheStatistics Statistics => new(_hits, _misses, _evictions, _entries.Count, Capacity);

    /// <summary>The cached statement for <paramref name="sql"/>, made most recently used; counts a hit or a miss.</summary>
    public bool TryGet(string sql, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out sqlite3_stmt? statement, out bool writes, out int parameters)
    {
        LinkedListNode<Entry>? node = _last;
        if (node is not null && ReferenceEquals(node.Value.Sql, sql))
        {
            _hits++; // already the most recently used
        }
        else if (_entries.TryGetValue(sql, out node))
        {
            _hits++;
            if (node != _order.First)
            {
                _order.Remove(node);
                _order.AddFirst(node);
            }

            _last = node;
        }
        else
        {
            _misses++;
            statement = null;
            writes = false;
            parameters = 0;
            return false;
        }

        statement = node.Value.Statement;
        writes = node.Value.Writes;
        parameters = node.Value.Parameters;
        return true;
    }

    /// <summary>
    /// Takes ownership of <paramref name="statement"/>, prepared from all of <paramref name="sql"/>, and
    /// finalizes the least recently used one when full. <paramref name="writes"/> (not
    /// <c>sqlite3_stmt_readonly</c>) and its <paramref name="parameters"/> count (fixed once prepared) are
    /// kept with it, sparing a native call per run. Returns false (the caller keeps ownership) when the
    /// capacity is 0.
    /// </summary>
    public bool Add(string sql, sqlite3_stmt statement, bool writes, int parameters)
    {
        if (Capacity == 0)
        {
            return false;
        }

        if (_entries.Count >= Capacity)
        {
            LinkedListNode<Entry> oldest = _order.Last!;
            _order.RemoveLast();
            _entries.Remove(oldest.Value.Sql);
            oldest.Value.Statement.Dispose();
            _evictions++;
        }

        _last = _order.AddFirst(new Entry(sql, statement, writes, parameters));
        _entries.Add(sql, _last);
        return true;
    }

    /// <summary>Finalizes every cached statement.</summary>
    public void Dispose()
    {
        foreach (Entry entry in _order)
        {
            entry.Statement.Dispose();
        }

        _order.Clear();
        _entries.Clear();
        _last = null;
    }

    private readonly record struct Entry(string Sql, sqlite3_stmt Statement, bool Writes, int Parameters);
}
