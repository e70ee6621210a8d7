using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>A mutation target that keeps what it is given and numbers it, as a timeline would.</summary>
internal sealed class RecordingTarget : IMutationTarget
{
    public List<IMutation> Mutations { get; } = [];

    public Lsn Mutate(IMutation mutation)
    {
        Mutations.Add(mutation);
        return new Lsn((ulong)Mutations.Count);
    }

    public ValueTask<Lsn> MutateAsync(IMutation mutation, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Mutate(mutation));
    }
}
