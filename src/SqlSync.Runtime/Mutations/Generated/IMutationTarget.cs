using System.ComponentModel;
using SqlSync.Journals;

namespace SqlSync.Mutations.Generated;

/// <summary>
/// Something mutations are made on: a local document. Generated convenience methods
/// (<c>doc.AddTodo(...)</c>) are extensions of this interface.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMutationTarget
{
    /// <summary>
    /// Appends <paramref name="mutation"/> to the timeline and applies it to the local database at once.
    /// Returns its LSN in the timeline. A reducer that throws is rolled back and reported as a
    /// <see cref="SqlSyncException"/> with <see cref="SqlSyncErrorCode.MutationFailed"/>.
    /// </summary>
    Lsn Mutate(IMutation mutation);

    /// <summary>
    /// Applies <paramref name="mutation"/> at once, as <see cref="Mutate"/> does, without waiting for the disk: the task
    /// completes when the mutation is durable. A crash before that may lose it and the mutations made after it, never an
    /// earlier one; concurrent calls share one fsync (see <see cref="Documents.LocalDocument.MutateAsync"/>).
    /// </summary>
    ValueTask<Lsn> MutateAsync(IMutation mutation, CancellationToken cancellationToken = default);
}
