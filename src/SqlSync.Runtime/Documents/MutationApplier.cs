using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;

namespace SqlSync.Documents;

/// <summary>
/// Runs timeline entries through a reducer on a document's writer connection, with the clock and random
/// numbers of each entry in force. Shared by the local and the coordinator document.
/// </summary>
internal sealed class MutationApplier
{
    private readonly DatabaseConnection _connection;
    private readonly IMutationReducer _reducer;
    private readonly MutationContext _context;
    private bool _applying;

    public MutationApplier(DatabaseConnection connection, IMutationReducer reducer)
    {
        _connection = connection;
        _reducer = reducer;
        _context = new MutationContext(connection);
        connection.RegisterRandomFunctions(NextRandom);
    }

    /// <summary>
    /// Applies one entry inside the caller's transaction. A reducer exception rolls back this entry's
    /// changes only (a savepoint when <paramref name="useSavepoint"/>) and is returned, not thrown.
    /// Engine failures (I/O, a broken connection) are thrown.
    /// </summary>
    public Exception? TryApply(TimelineId timeline, Lsn lsn, ReadOnlySpan<byte> entryBytes, bool useSavepoint)
    {
        TimelineEntry entry;
        try
        {
            entry = TimelineEntry.Decode(entryBytes);
        }
        catch (SqlSyncException ex)
        {
            return ex;
        }

        if (useSavepoint)
        {
            _connection.Execute("SAVEPOINT sqlsync_mutation", ReadOnlySpan<object?>.Empty);
        }

        _context.Begin(timeline, lsn, entry.TimestampUnixMilliseconds);
        PageVfs.SetMutationTime(entry.TimestampUnixMilliseconds);
        _applying = true;
        _connection.InReducer = true;
        try
        {
            _reducer.Apply(_context, entry.Mutation);
        }
        catch (Exception ex)
        {
            if (useSavepoint)
            {
                _connection.Execute("ROLLBACK TO sqlsync_mutation", ReadOnlySpan<object?>.Empty);
                _connection.Execute("RELEASE sqlsync_mutation", ReadOnlySpan<object?>.Empty);
            }

            return ex;
        }
        finally
        {
            _applying = false;
            _connection.InReducer = false;
            PageVfs.ClearMutationTime();
        }

        if (useSavepoint)
        {
            _connection.Execute("RELEASE sqlsync_mutation", ReadOnlySpan<object?>.Empty);
        }

        return null;
    }

    /// <summary>
    /// A one-line description of a reducer failure for the rejection table and errors. SQLite's failures
    /// name their result code already; other SqlSync failures get their error code, anything else its type.
    /// </summary>
    public static string Describe(Exception error) => error switch
    {
        SqlSyncException { SqliteResultCode: not null } sqlite => sqlite.Message,
        SqlSyncException sqlSync => $"{sqlSync.Code}: {sqlSync.Message}",
        _ => $"{error.GetType().Name}: {error.Message}",
    };

    /// <summary>
    /// The mutation method behind an encoded record ("AddTodo"), from the reducer when it implements
    /// <see cref="IMutationNames"/>; its tag in hex otherwise.
    /// </summary>
    public string NameOf(ReadOnlySpan<byte> mutation)
    {
        if (mutation.Length < 4)
        {
            return "(a record too short for a tag)";
        }

        uint tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(mutation);
        return (_reducer as IMutationNames)?.GetMutationName(tag)
            ?? "0x" + tag.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
    }

    private ulong NextRandom() =>
        _applying ? _context.Random.NextUInt64() : unchecked((ulong)System.Random.Shared.NextInt64());
}
