using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// The hostile tests that count the process's open files or hold many documents: they run alone, so other
/// tests' servers do not move their counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Name = "Hostile, run alone";
}
