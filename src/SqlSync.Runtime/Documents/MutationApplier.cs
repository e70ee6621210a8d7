using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;

namespace SqlSync.Documents;

/// <summary>
/// Runs timeline entries through a reducer on a document's writer connection, with the clock and random
/// numbers of each entry in force and inside the <see cref="ReducerSandbox"/>. Shared by the local and the
/// coordinator document.
/// </summary>
internal sealed partial class MutationApplier
{
    private readonly DatabaseConnection _connection;
    private readonly ReducerSandbox _sandbox;
    private readonly IMutationReducer _reducer;
    private readonly MutationLimits _limits;
    private readonly MutationContext _context;

    public MutationApplier(DatabaseConnection connection, ReducerSandbox sandbox, IMutationReducer reducer, MutationLimits limits)
    {
        _connection = connection;
        _sandbox = sandbox;
        _reducer = reducer;
        _limits = limits;
        _context = new MutationContext(connection);
        connection.RegisterRandomFunctions(NextRandom);
    }

    /// <summary>
    /// Applies one entry inside the caller's transaction. A reducer exception, or a sandbox refusal or budget
    /// overrun (even one the reducer caught), rolls back this entry's changes only (a savepoint when
    /// <paramref name="useSavepoint"/>) and is returned, not thrown. An interrupted write can make SQLite roll
    /// back the whole transaction: then <paramref name="transactionLost"/> is set and the caller must start
    /// the transaction again (without this entry). With <paramref name="exactPages"/> (a mutation alone in
    /// its transaction) the page budget is checked on the exact count after the reducer; otherwise only while
    /// statements run (the coordinator checks its step's pages before committing). Engine failures (I/O, a
    /// broken connection) are thrown.
    /// </summary>
    public Exception? TryApply(TimelineId timeline, Lsn lsn, ReadOnlySpan<byte> entryBytes, bool useSavepoint, bool exactPages, out bool transactionLost)
    {
        transactionLost = false;
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
            _sandbox.Savepoint();
        }

        _context.Begin(timeline, lsn, entry.TimestampUnixMilliseconds);
        PageVfs.SetMutationTime(entry.TimestampUnixMilliseconds);
        _connection.InReducer = true;
        Exception? failure = null;
        string? violation;
        _sandbox.Enter(_limits.MaxVmStepsPerMutation, _limits.MaxPagesPerMutation);
        try
        {
            _reducer.Apply(_context, entry.Mutation);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            violation = _sandbox.Exit(flush: exactPages && failure is null);
            _connection.InReducer = false;
            PageVfs.ClearMutationTime();
        }

        if (violation is not null)
        {
            failure = new SqlSyncException(_sandbox.ViolationCode, $"Refused: {violation}.", failure);
        }

        if (failure is null)
        {
            if (useSavepoint)
            {
                _sandbox.ReleaseSavepoint();
            }

            return null;
        }

        if (useSavepoint)
        {
            if (_connection.InTransaction)
            {
                _sandbox.RollbackToSavepoint();
            }
            else
            {
                transactionLost = true;
            }
        }

        return failure;
    }

    /// <summary>
    /// A one-line description of a reducer failure for the rejection table and errors. SQLite's failures
    /// name their result code already; other SqlSync failures get their error code, anything else its type.
    /// </summary>
    public static string Describe(Exception error) => error switch
    {
        SqlSyncException { Code: SqlSyncErrorCode.Sqlite } sqlite => sqlite.Message,
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
        _connection.InReducer ? _context.Random.NextUInt64() : unchecked((ulong)System.Random.Shared.NextInt64());
}
