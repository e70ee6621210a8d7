namespace SqlSync.Mutations;

/// <summary>
/// Decodes an encoded mutation record and applies it through a context. The generator emits one per
/// mutations class; hand-written reducers are fine too. A reducer must be deterministic: the same record
/// and database give the same changes on every replica (docs/determinism.md).
/// </summary>
public interface IMutationReducer
{
    /// <summary>
    /// Applies <paramref name="mutation"/> (tag first, then arguments). Throw to reject it; the engine
    /// rolls back whatever it did. An unknown tag or a truncated record should throw
    /// <see cref="SqlSyncException"/> with <see cref="SqlSyncErrorCode.UnknownMutationTag"/> or
    /// <see cref="SqlSyncErrorCode.MalformedMutation"/>.
    /// </summary>
    void Apply(IMutationContext context, ReadOnlySpan<byte> mutation);
}
