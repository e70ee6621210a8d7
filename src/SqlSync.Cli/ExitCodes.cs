namespace SqlSync.Cli;

/// <summary>What <c>sqlsync</c> exits with.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;
    /// <summary>Wrong arguments or a path that does not exist (System.CommandLine reports parse errors with this code too).</summary>
    public const int Usage = 1;
    /// <summary>A corrupt or unreadable document.</summary>
    public const int BadData = 2;
    /// <summary>Something unexpected.</summary>
    public const int Failure = 3;
}
