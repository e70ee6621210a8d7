using System.CommandLine;

namespace SqlSync.Cli;

/// <summary>The option that silences <see cref="ProgressLine"/>, the same on every command that reports progress.</summary>
internal static class ProgressOptions
{
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Write no progress to standard error (errors and results still show)." };
}
