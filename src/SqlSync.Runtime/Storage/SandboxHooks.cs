namespace SqlSync.Storage;

/// <summary>The parts of the <see cref="ReducerSandbox"/>; only the engine benchmark turns any off, to measure each.</summary>
[Flags]
internal enum SandboxHooks
{
    None = 0,
    /// <summary>The authorizer (refusals at prepare time).</summary>
    Authorizer = 1,
    /// <summary>The progress handler (VM-step and page budgets while a statement runs).</summary>
    ProgressHandler = 2,
    /// <summary>The exact page count after each local reducer (a bound, and a flush of dirty pages near the budget).</summary>
    PageCheck = 4,
    /// <summary>The commit hook (nothing commits inside a reducer).</summary>
    CommitHook = 8,
    All = Authorizer | ProgressHandler | PageCheck | CommitHook,
}
