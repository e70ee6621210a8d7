using SqlSync.Mutations;

namespace SqlSync.Benchmarks;

/// <summary>Runs the bench reducer, but the first mutation it applies holds its step until released (at most 60 s).</summary>
internal sealed class SlowReducer : IMutationReducer
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;

    /// <summary>The held step has begun and was not released yet.</summary>
    public bool Running => Volatile.Read(ref _running) == 1 && !_release.Task.IsCompleted;

    public void Release() => _release.TrySetResult();

    public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
    {
        if (Interlocked.Exchange(ref _running, 1) == 0)
        {
            _release.Task.Wait(TimeSpan.FromSeconds(60));
        }

        BenchMutations.Reducer.Apply(context, mutation);
    }
}
