using Xunit;

namespace SqlSync.Journals;

/// <summary>
/// The tests that set <see cref="global::SqlSync.Journals.StorageFaults.Inject"/>, a process-wide hook: one at a time, so
/// that one test's hook never replaces another's half-way.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StorageFaultInjectionGroup
{
    public const string Name = "Storage fault injection";
}
