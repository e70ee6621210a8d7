namespace SqlSync.Documents;

/// <summary>
/// What a document's prepared-statement cache has done since the document opened (every SQL text its
/// connection ran: mutations', queries' and the engine's own).
/// </summary>
/// <param name="Hits">Texts found prepared in the cache.</param>
/// <param name="Misses">Texts that had to be prepared (multi-statement texts always are).</param>
/// <param name="Evictions">Statements finalized to make room for newer ones.</param>
/// <param name="Count">Statements cached now.</param>
/// <param name="Capacity">The most statements the cache keeps; 0 when caching is off.</param>
internal readonly record struct StatementCacheStatistics(long Hits, long Misses, long Evictions, int Count, int Capacity);
