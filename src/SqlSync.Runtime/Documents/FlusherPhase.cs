namespace SqlSync.Documents;

/// <summary>What a <see cref="TimelineFlusher"/> does at a moment (benchmarks attribute a caller's slow calls with it).</summary>
internal enum FlusherPhase
{
    /// <summary>Waiting on its channel: a <see cref="TimelineFlusher.Signal"/> wakes it (a system call).</summary>
    Asleep,

    /// <summary>Taking, writing or fsyncing the journal's tail, or completing waiters.</summary>
    Flushing,

    /// <summary>Spinning after a flush for the next mutation (decision 0032).</summary>
    Watching,
}
